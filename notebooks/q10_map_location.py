# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 10 — `map_location` in `torch.load`
#
# > **Oefenvraag.** Verklaar het nut van `map_location` bij `torch.load` en geef een foutvoorbeeld wanneer het
# > ontbreekt.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. de echte foutmelding laten zien die je krijgt als je een op de GPU opgeslagen checkpoint zonder `map_location`
#    op een machine zonder GPU laadt, en uitleggen waar die vandaan komt (de *location tag* in het bestand);
# 2. elke vorm van `map_location` gebruiken — een string, een `torch.device`, een dict en een functie — en
#    voorspellen op welk device elke tensor terechtkomt;
# 3. uitleggen waarom `weights_only=True` er altijd bij hoort, en wat `model.to(device)` en
#    `optimizer.load_state_dict` na het laden nog doen;
# 4. een functie `load_anywhere` schrijven die een checkpoint van elk device veilig op het gewenste device laadt.
#
# **Tijd:** ongeveer 35 minuten. Alles draait op de CPU, zonder downloads. Heeft je machine wél een GPU, dan draait
# het notebook de GPU-stukken ook; zonder GPU zegt het steeds wat het overslaat.
#
# In de code gebruiken we de vaste namen `model`, `optimizer` en `device`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.
#
# Naast dit notebook staat `checkpoint_cuda.pt`: een klein trainingscheckpoint waarvan de tensors op **twee GPU's**
# stonden (`cuda:0` en `cuda:1`). Het is op een machine zonder GPU gemaakt; in Demo 2 zie je hoe, en bewijzen we
# dat het bestand echt "CUDA" zegt.

# %% nbgrader={"grade_id": "setup", "locked": true}
import collections
import inspect
import io
import pickle
import pickletools
import tempfile
import zipfile
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.serialization as serialization

from mlinfra import HEAVY, seed_everything
from mlinfra.cuda_fixture import (
    cuda_tagging,
    data_pkl,
    find_fixture,
    fixture_checkpoint,
    storage_records,
    tensor_locations,
)
from mlinfra.grading import quiet
from mlinfra.models import mlp
from mlinfra.plots import set_style

set_style()
seed_everything(0)
torch.set_num_threads(1)
GPU = torch.cuda.is_available()
device = torch.device("cuda" if GPU else "cpu")
workdir = Path(tempfile.mkdtemp(prefix="q10-"))  # every file this notebook writes goes here

CUDA_CKPT, how = find_fixture()
print(f"torch {torch.__version__}, CUDA beschikbaar: {GPU}, device = {device}")
print(f"fixture: {CUDA_CKPT} ({CUDA_CKPT.stat().st_size} bytes, {how})")
print(f"HEAVY = {HEAVY}")


def tensors_in(obj, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every tensor in a nested dict/list checkpoint, by a path such as ``model/0.weight``."""
    if isinstance(obj, torch.Tensor):
        return {prefix: obj}
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, (list, tuple)) else ()
    out: dict[str, torch.Tensor] = {}
    for k, v in items:
        out.update(tensors_in(v, f"{prefix}/{k}" if prefix else str(k)))
    return out


def devices_in(obj) -> set[str]:
    """The set of devices (as strings such as ``'cpu'``, ``'meta'``) of all tensors in a checkpoint."""
    return {str(t.device) for t in tensors_in(obj).values()}

# %% [markdown]
# ## Demo 1 — De echte fout, zonder GPU nagespeeld
#
# We laden het checkpoint precies zoals je het zonder nadenken zou doen: `torch.load(pad)`, zonder `map_location`.

# %%
CUDA_ERROR = ("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
              "If you are running on a CPU-only machine, please use torch.load with "
              "map_location=torch.device('cpu') to map your storages to the CPU.")
try:
    checkpoint = torch.load(CUDA_CKPT, weights_only=True)
except RuntimeError as exc:
    error_text = str(exc)
    print(f"RuntimeError: {error_text}")
    print(f"\nwoordelijk de bekende CUDA-fout: {error_text == CUDA_ERROR}")
else:
    error_text = None
    print(f"Geen fout: deze machine heeft CUDA, de tensors staan nu op {sorted(devices_in(checkpoint))}.")
    print("Op een machine zonder GPU geeft dezelfde regel de RuntimeError uit de tekst hieronder.")

# %% [markdown]
# **Conclusie:** zonder GPU geeft `torch.load` een `RuntimeError` met precies de tekst hierboven (op een machine
# met CUDA laadt hetzelfde bestand wél, en staan de tensors daarna op de GPU). De melding noemt zelf de oplossing:
# `map_location=torch.device('cpu')`.

# %% [markdown]
# ## Demo 2 — Waarom: het bestand zegt op welk device elke tensor stond
#
# Een checkpoint van `torch.save` is een zip-archief. Daarin staan de ruwe bytes van elke *storage* (het geheugenblok
# achter een tensor) als los bestand in `data/`, en één pickle, `data.pkl`, die de structuur beschrijft. Voor elke
# storage schrijft die pickle een *persistent id* weg: `('storage', type, sleutel, location, aantal elementen)`.
# De `location` komt van een **location tagger** die `torch.save` voor elke storage vraagt waar hij staat (`'cpu'`,
# `'cuda:0'`, ...). Bij het laden geeft `torch.load` die tag aan een deserializer, en díe weigert `'cuda:0'` als
# CUDA er niet is.
#
# We kijken in het archief, zonder `torch.load` (er wordt niets uit het bestand uitgevoerd).

# %%
with zipfile.ZipFile(CUDA_CKPT) as archive:
    names = archive.namelist()
print(f"{len(names)} bestanden in het archief, o.a.: {[n for n in names if not n.split('/')[-1].isdigit()]}")
print(f"plus {sum(n.split('/')[-1].isdigit() for n in names)} storages in data/\n")

listing = io.StringIO()
pickletools.dis(data_pkl(CUDA_CKPT), out=listing)
lines = listing.getvalue().splitlines()
first_persid = next(i for i, ln in enumerate(lines) if "BINPERSID" in ln)
print("data.pkl, het begin (pickletools.dis) tot en met de eerste persistent id:")
print("\n".join(lines[first_persid - 9:first_persid + 1]))

# %%
locations = tensor_locations(CUDA_CKPT)
print(f"{'tensor in het checkpoint':<32}{'location tag in data.pkl':>26}")
for name, tag in locations.items():
    print(f"{name:<32}{tag:>26}")
records = storage_records(CUDA_CKPT)
print(f"\nstorages per tag: {dict(collections.Counter(r['location'] for r in records))}")

# %% [markdown]
# **Conclusie:** `data.pkl` noemt per storage de plek waar hij bij het opslaan stond: de eerste laag en haar
# Adam-momenten `cuda:0`, de uitvoerlaag `cuda:1` (alsof het model over twee GPU's verdeeld was), en Adam's
# `step`-tellers `cpu` — die houdt PyTorch standaard op de CPU, ook als het model op de GPU traint.
#
# ### Hoe is dit bestand gemaakt zonder GPU?
#
# Met `torch.serialization.register_package(priority, tagger, deserializer)` kun je een eigen tagger registreren.
# `mlinfra.cuda_fixture.cuda_tagging` registreert er tijdelijk één, met prioriteit 0, dus vóór de ingebouwde
# `'cpu'`-tagger (prioriteit 10). De kern:
#
# ```python
# def tagger(storage):
#     if storage.device.type == "cpu":
#         return tags.get(storage.data_ptr())  # 'cuda:0', 'cuda:1', of None: dan beslist de gewone 'cpu'-tagger
#
# serialization.register_package(0, tagger, lambda storage, location: None)  # de deserializer doet nooit iets
# try:
#     torch.save(checkpoint, pad)
# finally:
#     ...  # onze tagger weer uit serialization._package_registry halen
# ```
#
# PyTorch kent geen "unregister", en een achtergebleven tagger zou **elke** latere `torch.save` in je sessie
# CUDA-tags geven. Daarom haalt `cuda_tagging` hem in `finally` weer weg, en is het meegeleverde bestand gemaakt met
# `python -m mlinfra.cuda_fixture checkpoint_cuda.pt`, in een eigen Python-proces. Hieronder controleren we dat er
# niets achterblijft.

# %%
registry_before = list(serialization._package_registry)
probe = torch.ones(3)
with cuda_tagging({probe.untyped_storage().data_ptr(): "cuda:0"}):
    print(f"binnen cuda_tagging: {len(serialization._package_registry)} taggers geregistreerd")
    torch.save({"probe": probe}, workdir / "probe_inside.pt")
torch.save({"probe": probe}, workdir / "probe_after.pt")
print(f"daarna:              {len(serialization._package_registry)} taggers "
      f"(ongewijzigd: {serialization._package_registry == registry_before})")
print(f"tag van dezelfde tensor, binnen het blok: {tensor_locations(workdir / 'probe_inside.pt')['probe']}, "
      f"erna: {tensor_locations(workdir / 'probe_after.pt')['probe']}")


# %% [markdown]
# **Conclusie:** binnen het blok krijgt de tensor de tag `cuda:0`, erna weer `cpu`, en de registry is na afloop
# gelijk aan ervoor: de tagger lekt niet naar de rest van je sessie. (Wil je het meegeleverde bestand zelf opnieuw
# maken: `python -m mlinfra.cuda_fixture checkpoint_cuda.pt` in een terminal; de tests van de cursus controleren
# dat dat dezelfde tags geeft.)

# %% [markdown]
# ## Demo 3 — Elke vorm van `map_location`
#
# `map_location` bepaalt bij het laden, **per storage en vóór er een tensor op een device wordt gemaakt**, waar die
# storage heen gaat. Er zijn vier vormen:
#
# | vorm | betekenis |
# |---|---|
# | `'cpu'`, `'cuda:0'`, `'meta'` (string) | alle storages naar dat device |
# | `torch.device('cpu')` | idem |
# | dict, bijv. `{'cuda:1': 'cuda:0'}` | vertaal tags: een tag die als sleutel voorkomt wordt de waarde, de rest blijft |
# | functie `f(storage, location)` | jij beslist per storage; geeft `f` `None` terug, dan geldt de opgeslagen tag |
#
# We proberen ze allemaal op het checkpoint (telkens met `weights_only=True`) en tellen per device hoeveel bytes er
# terechtkomen. Het `meta`-device bewaart alleen vorm en dtype, geen getallen: handig om te zien *waar* iets heen
# gaat zonder geheugen te gebruiken.

# %%
def nbytes_per_device(obj) -> dict[str, int]:
    totals: dict[str, int] = collections.Counter()
    for t in tensors_in(obj).values():
        totals[str(t.device)] += t.numel() * t.element_size()
    return dict(totals)


seen_locations: list[str] = []


def to_cpu_and_record(storage, location):
    seen_locations.append(location)
    return storage  # storages arrive on the CPU; returning them keeps them there


forms = {
    "geen map_location": None,
    "'cpu'": "cpu",
    "torch.device('cpu')": torch.device("cpu"),
    "'meta'": "meta",
    "{'cuda:0': 'cpu', 'cuda:1': 'cpu'}": {"cuda:0": "cpu", "cuda:1": "cpu"},
    "{'cuda:0': 'cpu', 'cuda:1': 'meta'}": {"cuda:0": "cpu", "cuda:1": "meta"},
    "{'cuda:1': 'cpu'} (onvolledig)": {"cuda:1": "cpu"},
    "{'cuda:1': 'cuda:0'}": {"cuda:1": "cuda:0"},
    "functie: storage terug": to_cpu_and_record,
    "functie: altijd None": lambda storage, location: None,
    "'cuda'": "cuda",
}
results = {}
for label, map_location in forms.items():
    try:
        loaded = torch.load(CUDA_CKPT, map_location=map_location, weights_only=True)
        results[label] = nbytes_per_device(loaded)
    except RuntimeError as exc:
        reason = " (CUDA niet beschikbaar)" if "is_available() is False" in str(exc) else ""
        results[label] = f"RuntimeError{reason}: {str(exc)[:50]}..."
print(f"{'map_location':<38}resultaat (bytes per device)")
for label, result in results.items():
    print(f"{label:<38}{result}")
print(f"\nde functie werd aangeroepen met de tags: {dict(collections.Counter(seen_locations))}")
if not GPU:
    print("Zonder GPU overgeslagen: de vormen met 'cuda' kunnen hier niet slagen; op een GPU-machine staan ze wél in "
          "de tabel met hun bytes.")

# %%
device_colors = {"cpu": "tab:blue", "meta": "tab:gray", "cuda:0": "tab:green", "cuda:1": "tab:olive"}
fig, ax = plt.subplots(figsize=(8, 4.5))
labels = list(results)
for row, label in enumerate(labels):
    result, left = results[label], 0
    if isinstance(result, str):
        ax.text(5, row, result.split(":")[0], va="center", color="tab:red")
        continue
    for dev, nbytes in sorted(result.items()):
        ax.barh(row, nbytes, left=left, color=device_colors.get(dev, "tab:purple"),
                label=dev if dev not in ax.get_legend_handles_labels()[1] else None)
        left += nbytes
ax.set_yticks(range(len(labels)), labels)
ax.invert_yaxis()
ax.set_xlabel("bytes aan tensors na het laden, per device")
ax.set_title("Waar belanden de tensors van checkpoint_cuda.pt?")
ax.legend(title="device", loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# **Conclusie:** een string of `torch.device` stuurt **alle** bytes naar één device. Een dict vertaalt alleen de
# tags die er als sleutel in staan: `{'cuda:0': 'cpu', 'cuda:1': 'meta'}` verdeelt de bytes over `cpu` en `meta`,
# terwijl het onvolledige `{'cuda:1': 'cpu'}` de `cuda:0`-storages ongemoeid laat en dus dezelfde fout geeft als
# geen `map_location`. De functie werd per storage aangeroepen met de opgeslagen tag (zie de telling); een functie
# die `None` teruggeeft valt terug op die tag. `'cuda'` en `{'cuda:1': 'cuda:0'}` (alles naar de eerste GPU, het
# typische geval als je op twee GPU's trainde en op één laadt) vragen om CUDA en geven zonder GPU dezelfde fout.

# %% [markdown]
# ## Demo 4 — `weights_only=True` hoort erbij
#
# Een checkpoint is een pickle, en een pickle kan bij het laden **willekeurige code** aanroepen. Sinds PyTorch 2.6
# is `weights_only=True` de standaard: `torch.load` bouwt dan alleen tensors, dicts, lijsten, getallen en strings
# op en weigert al het andere. We maken een checkpoint met een "verrassing" erin: bij het laden roept het een
# functie aan (hier onschuldig: ze schrijft iets in een lijst; een aanvaller zou een shell-commando kiezen).

# %%
code_ran: list[str] = []


def surprise() -> str:
    code_ran.append("code uit het checkpoint is uitgevoerd")
    return "verrassing"


class Surprise:
    def __reduce__(self):  # pickle stores "call surprise()" instead of the object
        return (surprise, ())


torch.save({"extra": Surprise(), "model": mlp(4, 8, 3).state_dict()}, workdir / "surprise.pt")
for kwargs in ({}, {"weights_only": True}, {"weights_only": False}):
    code_ran.clear()
    try:
        torch.load(workdir / "surprise.pt", map_location="cpu", **kwargs)
        outcome = "geladen"
    except pickle.UnpicklingError as exc:
        outcome = f"{type(exc).__name__}: {str(exc).splitlines()[0][:40]}..."
    call = "torch.load(pad, map_location='cpu'" + "".join(f", {k}={v}" for k, v in kwargs.items()) + ")"
    print(f"{call:<56} → {outcome:<58} code uitgevoerd: {bool(code_ran)}")

full = torch.load(CUDA_CKPT, map_location="cpu", weights_only=True)
print(f"\nhet volledige trainingscheckpoint laadt wél met weights_only=True: sleutels {list(full)}, "
      f"epoch = {full['epoch']}, {len(tensors_in(full))} tensors")

# %% [markdown]
# **Conclusie:** met `weights_only=True` (en dus ook zonder het argument, op PyTorch ≥ 2.6) weigert `torch.load`
# het bestand met een `UnpicklingError` en wordt er niets uitgevoerd; met `weights_only=False` draait de code uit het
# bestand. Een gewoon trainingscheckpoint (state dicts, optimizer-state, een epoch-getal) laadt prima met
# `weights_only=True`. `weights_only=False` is dus nooit de oplossing voor een `map_location`-fout: het lost die fout
# niet eens op, en het opent de deur voor code uit het bestand.

# %% [markdown]
# ## Demo 5 — Na het laden: `load_state_dict` kopieert naar de parameter, `model.to(device)` verplaatst het model
#
# `model.load_state_dict(state_dict)` maakt geen nieuwe parameters: het **kopieert** de waarden in de bestaande
# parameters, op hún device en in hún dtype. Het device van de geladen state dict doet er dus niet toe, zolang de
# kopie kan. Het patroon uit de PyTorch-tutorial is daarom: laad met `map_location`, stop de waarden in het model,
# en zet het model met `model.to(device)` waar je het wilt hebben.

# %%
seed_everything(0)
model = mlp(4, 8, 3)
weight_ptr = model[0].weight.data_ptr()
state_dict = torch.load(CUDA_CKPT, map_location="cpu", weights_only=True)["model"]
state_dict64 = {k: v.double() for k, v in state_dict.items()}  # e.g. a checkpoint saved in float64
model.load_state_dict(state_dict64)
print(f"state dict: {state_dict64['0.weight'].dtype}; parameter na load_state_dict: {model[0].weight.dtype}, "
      f"zelfde geheugen: {model[0].weight.data_ptr() == weight_ptr}, "
      f"waarden gelijk: {torch.equal(model[0].weight, state_dict['0.weight'])}")
model.to(device)
print(f"na model.to({str(device)!r}): parameters op {sorted({str(p.device) for p in model.parameters()})}")

try:
    torch.load(CUDA_CKPT, weights_only=True)  # "first load, then .to('cpu')" never reaches the .to
except RuntimeError as exc:
    print(f"\neerst laden, dan .to('cpu'): de fout komt al bij torch.load → {str(exc)[:70]}...")
else:
    print("\neerst laden, dan .to('cpu'): op deze GPU-machine lukt het, maar de tensors gingen eerst naar de GPU.")

# %% [markdown]
# **Conclusie:** `load_state_dict` zette float64-waarden om naar de float32-parameter in hetzelfde geheugen; het
# model bepaalt device en dtype, niet de state dict. "Eerst laden, dan `.to('cpu')`" helpt zonder GPU niet: de fout
# valt in `torch.load`, vóór `.to` ooit draait. `map_location` werkt juist tijdens het laden.

# %% [markdown]
# ## Demo 6 — Optimizer-state volgt de parameters
#
# Voor de optimizer geldt hetzelfde, maar dan door een cast: `optimizer.load_state_dict` zet elke state-tensor
# (zoals Adam's `exp_avg`) met `.to(dtype=param.dtype, device=param.device)` naast zijn parameter. Alleen `step`
# blijft waar hij was (behalve met `capturable`/`fused`). Zonder GPU tonen we de verplaatsing met het `meta`-device:
# we bouwen het model op `meta` en laden de CPU-state erin.

# %%
source = inspect.getsource(torch.optim.Optimizer._process_value_according_to_param_policy)
print("uit torch.optim.Optimizer (de regels die de state verplaatsen):")
print("\n".join("    " + ln.strip() for ln in source.splitlines() if "return value" in ln))

optimizer_state = torch.load(CUDA_CKPT, map_location="cpu", weights_only=True)["optimizer"]
targets = [("meta", torch.float32), ("cpu", torch.float64)] + ([("cuda", torch.float32)] if GPU else [])
print(f"\n{'parameters op':<16}{'exp_avg na laden':<28}{'step na laden':<20}")
for target_device, dtype in targets:
    model = mlp(4, 8, 3).to(device=target_device, dtype=dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    optimizer.load_state_dict(optimizer_state)
    state = optimizer.state[model[0].weight]
    print(f"{target_device + ', ' + str(dtype).split('.')[-1]:<16}"
          f"{str(state['exp_avg'].device) + ', ' + str(state['exp_avg'].dtype).split('.')[-1]:<28}"
          f"{str(state['step'].device):<20}")
if not GPU:
    print("Zonder GPU overgeslagen: parameters op 'cuda' (daar verhuist exp_avg op dezelfde manier naar de GPU).")

# %% [markdown]
# **Conclusie:** de CPU-state kwam op `meta` terecht bij parameters op `meta`, en werd float64 bij float64-parameters:
# `exp_avg` volgt device én dtype van zijn parameter, `step` blijft op de CPU. Laad de optimizer-state dus **na** het
# verplaatsen van het model (`model.to(device)` eerst, dan de optimizer maken en `load_state_dict`).

# %% [markdown]
# ## Het antwoordmodel beoordeeld
#
# > *Antwoordmodel:* "`map_location` nut: converteert tensors naar het juiste device bij laden; voorbeeld fout:
# > attempt to deserialize object on CUDA device when CUDA is not available -> RuntimeError als checkpoint GPU
# > tensors bevat en je op CPU probeert te laden zonder `map_location='cpu'`."
#
# | bewering | oordeel | bewijs |
# |---|---|---|
# | "converteert tensors naar het juiste device bij laden" | **onvolledig** — het verplaatst *storages*, tijdens het laden, vóór er een tensor op het opgeslagen device bestaat; en "het juiste" device is wat jij opgeeft: een string, `torch.device`, dict of functie. Zonder `map_location` geldt de tag uit het bestand. | Demo 2, 3 |
# | de fout: "attempt to deserialize object on CUDA device when CUDA is not available" → `RuntimeError` | **klopt** (in de geest); de echte tekst is `Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. ...` en noemt zelf `map_location=torch.device('cpu')` | Demo 1 |
# | "als het checkpoint GPU tensors bevat" | **klopt**, preciezer: als de location tags in `data.pkl` `cuda` zeggen. Eén checkpoint kan tags mengen (`cuda:0`, `cuda:1`, `cpu`). | Demo 2 |
# | "zonder `map_location='cpu'`" | **onvolledig** — `torch.device('cpu')`, een dict of een functie lossen het ook op; een onvolledige dict of `map_location='cuda'` geeft dezelfde fout | Demo 3 |
# | (niet genoemd) `weights_only` | **ontbreekt** — `weights_only=True` hoort bij elke `torch.load` van een bestand dat je niet zelf maakte; `False` lost de fout niet op en voert code uit het bestand uit | Demo 4 |
# | (niet genoemd) na het laden | **ontbreekt** — `load_state_dict` kopieert naar het device van de parameters, `optimizer.load_state_dict` cast de state naar het device van de parameters | Demo 5, 6 |

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt de bestanden en hulpfuncties voor de tests. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
import contextlib
from unittest import mock

from mlinfra.grading import assert_dutch

EXPECTED, _ = fixture_checkpoint()  # what checkpoint_cuda.pt holds, built on the CPU
CPU_CKPT = workdir / "checkpoint_cpu.pt"
torch.save(EXPECTED, CPU_CKPT)  # the same checkpoint, saved on the CPU (tags 'cpu')
REAL_CUDA = torch.cuda.is_available()
TRAP_LOG: list[str] = []


def _trap() -> str:
    TRAP_LOG.append("uitgevoerd")
    return "gevaarlijk"


class _Trap:
    def __reduce__(self):
        return (_trap, ())


TRAP_CKPT = workdir / "checkpoint_with_code.pt"
torch.save({"note": _Trap(), "model": EXPECTED["model"]}, TRAP_CKPT)


@contextlib.contextmanager
def cuda_says(available: bool):
    """Pretend torch.cuda.is_available() returns ``available`` inside the block."""
    with mock.patch.object(torch.cuda, "is_available", return_value=available):
        yield


def same_values(loaded, expected) -> bool:
    """True when ``loaded`` holds the same tensors (compared on the CPU) and the same epoch as ``expected``."""
    a, b = tensors_in(loaded), tensors_in(expected)
    return (a.keys() == b.keys() and loaded.get("epoch") == expected.get("epoch")
            and all(torch.equal(a[k].cpu(), b[k]) for k in b))

# %% [markdown]
# ### Oefening 1 — `load_anywhere` (6 punten)
#
# Schrijf `load_anywhere(path, device=None)`, die een checkpoint laadt dat op **elk** device kan zijn opgeslagen,
# en het geladen object (hier een dict met `model`, `optimizer` en `epoch`) teruggeeft.
# - `device=None`: laad op CUDA als `torch.cuda.is_available()` `True` geeft, anders op de CPU. Gebruik precies die
#   functie: de tests vervangen `torch.cuda.is_available` tijdelijk om beide gevallen op deze machine na te bootsen.
# - `device` is een string of `torch.device` (`'cpu'`, `'cuda:0'`, `'meta'`, ...): **elke** tensor komt daar terecht,
#   ook als het bestand `cuda:0` of `cuda:1` zegt en er geen GPU is. Tensors mogen nooit eerst op het opgeslagen
#   device worden gemaakt (zonder GPU kan dat niet eens, zie Demo 5).
# - `device` is een dict of een functie: die bepaalt per storage het device, precies zoals `map_location` van
#   `torch.load` dat doet (Demo 3); geef hem ongewijzigd door.
# - Laad altijd met `weights_only=True`. Een checkpoint dat meer dan tensors en eenvoudige Python-waarden bevat, moet
#   de `pickle.UnpicklingError` van `torch.load` geven, zonder dat er iets uit het bestand wordt uitgevoerd.
# - Slechte invoer: een string die geen geldig device is (bijvoorbeeld `'gpu'` of `'cuda:x'`) geeft een `ValueError`;
#   een `device` van een ander type (geen `None`, string, `torch.device`, dict of functie) een `TypeError`; een pad
#   dat niet bestaat een `FileNotFoundError`; expliciet CUDA vragen (`'cuda'`, `'cuda:0'`, ...) op een machine zonder
#   CUDA een `RuntimeError` (controleer dat zelf, voor elke vorm: een string of `torch.device`, met of zonder nummer;
#   PyTorch geeft anders een Engelse melding, en een PyTorch-build zonder CUDA zelfs een `AssertionError`).
#   Alle meldingen in het Nederlands, en zeg wat er mis is; geef dus ook geen fout van PyTorch of Python zelf door.
#   Een getal zoals `0` is geen string of `torch.device`: ook dat is een `TypeError`.

# %% nbgrader={"grade_id": "load_anywhere", "solution": true}
def load_anywhere(path, device=None):
    """Load a checkpoint saved on any device onto ``device`` (default: CUDA when available, else CPU), safely."""
    ### BEGIN SOLUTION
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if isinstance(device, (str, torch.device)):
        try:
            map_location = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"{device!r} is geen geldig device; gebruik bijvoorbeeld 'cpu', 'cuda' of 'cuda:0'") from exc
        if map_location.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {str(map_location)!r} gevraagd, maar CUDA is niet beschikbaar op deze machine; "
                               "laad met device='cpu'")
    elif isinstance(device, dict) or callable(device):
        map_location = device
    else:
        raise TypeError(f"device moet None, een string, een torch.device, een dict of een functie zijn, "
                        f"niet {type(device).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} bestaat niet")
    return torch.load(path, map_location=map_location, weights_only=True)
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_load_anywhere_cuda_checkpoint_on_cpu", "grade": true, "points": 1}
"""Checks that load_anywhere loads the CUDA-tagged checkpoint onto the CPU with every tensor intact."""
with quiet():
    checkpoint = load_anywhere(CUDA_CKPT, "cpu")
    assert isinstance(checkpoint, dict) and set(checkpoint) == {"model", "optimizer", "epoch"}, (
        "Verwacht de dict uit het checkpoint, met de sleutels 'model', 'optimizer' en 'epoch'.")
    assert devices_in(checkpoint) == {"cpu"}, (
        f"Na load_anywhere(pad, 'cpu') staan tensors op {sorted(devices_in(checkpoint))}. Tip: op welk moment "
        "bepaalt torch.load waar een storage heen gaat (Demo 3 en 5)?")
    assert same_values(checkpoint, EXPECTED), "De geladen waarden wijken af van wat er in het bestand staat."
    ### BEGIN HIDDEN TESTS
    checkpoint = load_anywhere(str(CUDA_CKPT), torch.device("cpu"))
    assert devices_in(checkpoint) == {"cpu"} and same_values(checkpoint, EXPECTED), "torch.device('cpu') en een str-pad"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_anywhere_follows_device", "grade": true, "points": 1}
"""Checks that every tensor ends up on the device given as a string or torch.device (here 'meta')."""
with quiet():
    checkpoint = load_anywhere(CUDA_CKPT, "meta")
    assert devices_in(checkpoint) == {"meta"}, (
        f"Met device='meta' staan tensors op {sorted(devices_in(checkpoint))}. Tip: gebruik je het argument "
        "device wel, en voor álle tensors?")
    ### BEGIN HIDDEN TESTS
    checkpoint = load_anywhere(CPU_CKPT, torch.device("meta"))
    assert devices_in(checkpoint) == {"meta"}, "torch.device('meta') op een CPU-checkpoint"
    assert checkpoint["epoch"] == 3, f"epoch is {checkpoint['epoch']!r}, niet 3. Tip: blijven niet-tensorwaarden ongewijzigd?"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_anywhere_default_device", "grade": true, "points": 1}
"""Checks that device=None loads onto the CPU when torch.cuda.is_available() is False and tries CUDA when True."""
with quiet():
    with cuda_says(False):
        checkpoint = load_anywhere(CUDA_CKPT)
    assert devices_in(checkpoint) == {"cpu"} and same_values(checkpoint, EXPECTED), (
        "Zonder CUDA moet load_anywhere(pad) alles op de CPU laden. Tip: zonder map_location geldt de tag uit het "
        "bestand (Demo 1).")
    ### BEGIN HIDDEN TESTS
    with cuda_says(True):
        try:
            checkpoint = load_anywhere(CPU_CKPT)
        except (RuntimeError, AssertionError) as exc:  # a CPU-only torch build raises AssertionError here
            assert not REAL_CUDA and any(w in str(exc).lower() for w in ("cuda", "nvidia", "gpu")), (
                f"onverwachte fout: {exc}")
        else:
            assert REAL_CUDA and {d.split(":")[0] for d in devices_in(checkpoint)} == {"cuda"}, (
                "met torch.cuda.is_available() == True moet device=None naar CUDA laden, niet naar "
                f"{sorted(devices_in(checkpoint))}")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_anywhere_dict_and_callable", "grade": true, "points": 1}
"""Checks that a dict or a function as device is used per storage, as torch.load's map_location does."""
with quiet():
    checkpoint = load_anywhere(CUDA_CKPT, {"cuda:0": "cpu", "cuda:1": "cpu"})
    assert devices_in(checkpoint) == {"cpu"} and same_values(checkpoint, EXPECTED), (
        "Met de dict {'cuda:0': 'cpu', 'cuda:1': 'cpu'} moet alles op de CPU staan. Tip: zie Demo 3.")
    tags_seen = []
    checkpoint = load_anywhere(CUDA_CKPT, lambda storage, location: tags_seen.append(location) or storage)
    assert {"cuda:0", "cuda:1"} <= set(tags_seen), (
        "Je functie is niet (voor elke storage) aangeroepen. Tip: hoe geeft torch.load een functie door?")
    assert devices_in(checkpoint) == {"cpu"}, "De functie gaf CPU-storages terug; die moeten er zo uitkomen."
    ### BEGIN HIDDEN TESTS
    checkpoint = load_anywhere(CUDA_CKPT, {"cuda:0": "cpu", "cuda:1": "meta"})
    on = {name: str(t.device) for name, t in tensors_in(checkpoint).items()}
    assert on["model/0.weight"] == "cpu" and on["model/2.weight"] == "meta", f"dict per tag: {on}"
    assert on["optimizer/state/2/exp_avg"] == "meta" and on["optimizer/state/0/step"] == "cpu", f"dict per tag: {on}"
    if not REAL_CUDA:  # passed on unchanged, a function answering None (or an incomplete dict) keeps the saved tag
        for mapping in (lambda storage, location: None, {"cuda:1": "cpu"}):
            try:
                checkpoint = load_anywhere(CUDA_CKPT, mapping)
            except (RuntimeError, AssertionError):
                pass
            else:
                raise AssertionError(
                    "Een functie die None teruggeeft (of een dict zonder 'cuda:0') liet de cuda-tensors toch op "
                    f"{sorted(devices_in(checkpoint))} landen. Tip: geef je de functie of dict ongewijzigd door aan "
                    "torch.load (Demo 3)?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_anywhere_refuses_pickled_code", "grade": true, "points": 1}
"""Checks that load_anywhere refuses a checkpoint that would run code, with torch's UnpicklingError."""
with quiet():
    TRAP_LOG.clear()
    try:
        load_anywhere(TRAP_CKPT, "cpu")
    except pickle.UnpicklingError:
        pass
    else:
        raise AssertionError("Een checkpoint met een pickled object werd geladen. Tip: welke waarde van "
                             "weights_only laat torch.load alleen tensors en eenvoudige waarden opbouwen (Demo 4)?")
    ### BEGIN HIDDEN TESTS
    assert not TRAP_LOG, "er is code uit het checkpoint uitgevoerd"
    for dev in (None, torch.device("cpu")):
        try:
            load_anywhere(TRAP_CKPT, dev)
        except pickle.UnpicklingError:
            pass
        else:
            raise AssertionError(f"device={dev!r}: checkpoint met code werd geladen")
    assert not TRAP_LOG, "er is code uit het checkpoint uitgevoerd"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_anywhere_rejects_bad_input", "grade": true, "points": 1}
"""Checks that load_anywhere raises ValueError, TypeError or FileNotFoundError with a message for bad input."""
with quiet():
    try:
        load_anywhere(CPU_CKPT, "gpu")
    except ValueError as exc:
        assert_dutch(exc, "device='gpu'")
    else:
        raise AssertionError("device='gpu' gaf geen ValueError. Tip: wat doet torch.device('gpu')?")
    ### BEGIN HIDDEN TESTS
    for bad, error in (("cuda:x", ValueError), ("", ValueError), (["cpu"], TypeError), (1.5, TypeError),
                       (0, TypeError)):
        try:
            load_anywhere(CPU_CKPT, bad)
        except error as exc:
            assert_dutch(exc, f"device={bad!r}")
        except Exception as wrong_error:
            raise AssertionError(f"device={bad!r} gaf {type(wrong_error).__name__} in plaats van {error.__name__}. Tip: "
                                 "welk type heeft dit argument, en welke fout vraagt de opdracht daarvoor?") from None
        else:
            raise AssertionError(f"device={bad!r} gaf geen {error.__name__}. Tip: welke soorten device noemt de "
                                 "opdracht?")
    for missing in (workdir / "does_not_exist.pt", str(workdir / "does_not_exist.pt")):
        try:
            load_anywhere(missing, "cpu")
        except FileNotFoundError as exc:
            assert_dutch(exc, "een ontbrekend bestand")
        else:
            raise AssertionError("een pad dat niet bestaat gaf geen FileNotFoundError. Tip: controleer het pad vóór "
                                 "het laden.")
    if not REAL_CUDA:
        for cuda in ("cuda", "cuda:0", "cuda:1", torch.device("cuda"), torch.device("cuda:0")):
            try:
                load_anywhere(CPU_CKPT, cuda)
            except RuntimeError as exc:
                assert_dutch(exc, f"device={cuda!r} zonder CUDA")
            except Exception as wrong_error:
                raise AssertionError(f"device={cuda!r} zonder CUDA gaf {type(wrong_error).__name__} in plaats van "
                                     "RuntimeError. Tip: controleer zelf of CUDA er is, voor elke vorm van een "
                                     "CUDA-device.") from None
            else:
                raise AssertionError(f"device={cuda!r} zonder CUDA gaf geen RuntimeError")
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Verklaar het nut van `map_location` bij `torch.load` en geef een foutvoorbeeld wanneer het ontbreekt. Noem waar
# de fout vandaan komt, minstens twee vormen van `map_location`, en wat `weights_only` ermee te maken heeft.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Oorzaak:* `torch.save` schrijft per storage een location tag (`'cuda:0'`, `'cpu'`, ...) in `data.pkl`; zonder
#    `map_location` zet `torch.load` elke storage terug op dat device.
# 2. *Foutvoorbeeld:* een op de GPU opgeslagen checkpoint laden op een machine zonder CUDA geeft
#    `RuntimeError: Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you
#    are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your
#    storages to the CPU.`
# 3. *Nut en vormen:* `map_location` kiest het device tijdens het laden, per storage, vóór er een tensor op het
#    opgeslagen device wordt gemaakt: een string/`torch.device` (alles naar één device), een dict dat tags vertaalt
#    (`{'cuda:1': 'cuda:0'}`), of een functie `f(storage, location)`. Na het laden kopieert `load_state_dict` naar
#    het device van de parameters en volgt de optimizer-state de parameters; `model.to(device)` verplaatst het model.
# 4. *`weights_only=True`:* hoort bij elke load (standaard sinds 2.6); het weigert pickles met willekeurige objecten.
#    `weights_only=False` lost de CUDA-fout niet op en laat code uit het bestand draaien.
#
# Puntentoekenning: 1 punt voor 1 + 2 (oorzaak en foutmelding), 1 punt voor 3 (minstens twee vormen, met wat ze
# doen), 1 punt voor 4.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - Een checkpoint onthoudt per storage waar die stond (`cuda:0`, `cpu`, ... in `data.pkl`); zonder `map_location`
#   zet `torch.load` alles daar terug, en zonder CUDA is dat een `RuntimeError`.
# - `map_location` verplaatst tijdens het laden: een string of `torch.device` voor alles, een dict om tags te
#   vertalen (alleen de tags die erin staan!), een functie voor volledige controle.
# - Laad altijd met `weights_only=True`; `weights_only=False` lost geen device-fout op en voert code uit het bestand uit.
# - `load_state_dict` kopieert naar het device en de dtype van de parameters; de optimizer-state volgt zijn
#   parameters. Verplaats dus eerst het model, en laad daarna de optimizer-state.

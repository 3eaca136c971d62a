# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 7 — `state_dict` in plaats van `torch.save(model)`: breekbaarheid, PyTorch 2.6 en code die meeloopt
#
# > **Oorspronkelijke vraag.** Leg uit waarom je `torch.save(model.state_dict())` verkiest boven `torch.save(model)` in
# > productie.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. laten zien waarom een gepickeld model breekt als je de klasse hernoemt, verplaatst of een attribuut verandert,
#    terwijl een `state_dict` (eventueel met een sleutel-vertaling) gewoon in de nieuwe code laadt;
# 2. uitleggen waarom `torch.load` sinds PyTorch 2.6 een heel model standaard **weigert** (`weights_only=True`);
# 3. met een onschuldige payload aantonen dat het laden van een pickle code kan uitvoeren, en wat daartegen helpt;
# 4. een model exporteren voor productie als **safetensors + een kleine JSON-config**, en het weer laden met
#    duidelijke fouten bij een beschadigd of niet-passend bestand.
#
# **Tijd:** ongeveer 45 minuten. Alles draait op de CPU, zonder downloads.
#
# Begrippen: een **state dict** is een gewone dictionary `naam → tensor` met alle parameters én buffers van een model
# (`model.state_dict()`); **pickle** is Pythons eigen formaat om willekeurige objecten op te slaan;
# **safetensors** is een bestandsformaat dat alleen tensors kan bevatten.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.
#
# `TinyNet` is de modelfamilie van dit notebook (ook van de oefeningen): `Linear → BatchNorm1d → ReLU → Dropout →
# Linear`, met drie maten als argumenten. Alle bestanden die het notebook schrijft komen in een tijdelijke map.

# %% nbgrader={"grade_id": "setup", "locked": true}
import contextlib
import importlib
import json
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from pathlib import Path

import matplotlib.pyplot as plt
import safetensors.torch
import torch
from safetensors import SafetensorError, safe_open
from torch import nn

from mlinfra import HEAVY, seed_everything
from mlinfra.grading import quiet
from mlinfra.plots import set_style

set_style()
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")
_workdir = tempfile.TemporaryDirectory(prefix="q07-")  # removed when the kernel stops
WORKDIR = Path(_workdir.name)


class TinyNet(nn.Module):
    """The model family of this notebook: Linear → BatchNorm1d → ReLU → Dropout(0.2) → Linear."""

    def __init__(self, in_features: int, hidden: int, num_classes: int):
        super().__init__()
        self.in_features, self.hidden, self.num_classes = in_features, hidden, num_classes
        self.fc1 = nn.Linear(in_features, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


print(f"torch {torch.__version__}, safetensors {safetensors.__version__}, HEAVY = {HEAVY}")
print({name: tuple(t.shape) for name, t in TinyNet(4, 8, 3).state_dict().items()})

# %% [markdown]
# De `state_dict` van `TinyNet(4, 8, 3)` hierboven bevat zeven tensors: vier parameters (`fc1`, `fc2`, en `bn.weight`/
# `bn.bias`) en drie **buffers** van BatchNorm (`running_mean`, `running_var`, `num_batches_tracked`). Wie alleen
# `model.parameters()` opslaat, verliest die buffers.

# %% [markdown]
# ## Demo 1 — Wat bewaart `torch.save(model)` eigenlijk?
#
# We schrijven een kleine module `shop_models.py` met een klasse `Classifier`, zoals een team dat in zijn eigen
# package zou doen, en slaan het model op twee manieren op: het hele object (`torch.save(model)`) en alleen de
# `state_dict` (`torch.save(model.state_dict())`). Daarna kijken we in het bestand van het hele model.
#
# `code_version` hieronder zet precies de modulebestanden die je meegeeft klaar en importeert ze opnieuw van schijf,
# zoals een verse Python-sessie na een nieuwe release van je code ze zou zien.

# %%
SHOP_V1 = '''
import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self, in_features=4, hidden=8, num_classes=3):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))
'''
DEMO_MODULES = ("shop_models", "shop_models_v2")


@contextlib.contextmanager
def code_version(files: dict[str, str]):
    """Make exactly these modules importable (freshly read from disk); yield {module name: module}."""
    folder = Path(tempfile.mkdtemp(dir=WORKDIR))
    for name, source in files.items():
        (folder / f"{name}.py").write_text(source)
    for name in DEMO_MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield {name: importlib.import_module(name) for name in files}
    finally:
        sys.path.remove(str(folder))
        for name in DEMO_MODULES:
            sys.modules.pop(name, None)


seed_everything(0)
X_demo = torch.randn(5, 4)
with code_version({"shop_models": SHOP_V1}) as mods:
    model = mods["shop_models"].Classifier()
    whole_path, weights_path = WORKDIR / "whole_model.pt", WORKDIR / "state_dict.pt"
    torch.save(model, whole_path)
    torch.save(model.state_dict(), weights_path)
    with torch.no_grad():
        expected = model(X_demo)

raw = whole_path.read_bytes()
print(f"torch.save(model):        {len(raw):>6} bytes, zip met {zipfile.ZipFile(whole_path).namelist()[:2]} ...")
print(f"torch.save(state_dict()): {weights_path.stat().st_size:>6} bytes")
print("klassen waarnaar het bestand verwijst:", torch.serialization.get_unsafe_globals_in_checkpoint(whole_path))
print(f"staat de naam 'Classifier' in het bestand?  {b'Classifier' in raw}")
print(f"staat de code van forward() in het bestand? {b'def forward' in raw or b'relu' in raw}")

# %% [markdown]
# **Conclusie:** het bestand van `torch.save(model)` is een zip met een pickle (`data.pkl`) erin. Die pickle bevat de
# tensors en een **verwijzing** `shop_models.Classifier` naar de klasse, maar niet de code van de klasse: wie het
# bestand laadt, moet dezelfde module met dezelfde klassenaam kunnen importeren.

# %% [markdown]
# ## Demo 2 — Vier refactorings: het hele model breekt, de `state_dict` niet
#
# Nu verandert de code, zoals dat in elk project gebeurt, en laden we beide bestanden in de nieuwe versie:
#
# | refactoring | wat verandert er in `shop_models` |
# |---|---|
# | klasse hernoemd | `Classifier` heet nu `TextClassifier` |
# | module verplaatst | de klasse staat nu in `shop_models_v2`; `shop_models` bestaat niet meer |
# | attribuut hernoemd | `self.fc1` heet nu `self.encoder` |
# | attribuut toegevoegd | `__init__` zet `self.temperature = 1.0`, `forward` deelt erdoor (uitvoer verandert niet) |
#
# Om de fragiliteit van pickle te laten zien laden we het hele model hier met `weights_only=False`. Dat mag alleen
# omdat we het bestand zelf net geschreven hebben (waarom, zie demo 4).

# %%
REFACTORINGS = {
    "klasse hernoemd": ({"shop_models": SHOP_V1.replace("class Classifier", "class TextClassifier")},
                        "shop_models", "TextClassifier", {}),
    "module verplaatst": ({"shop_models_v2": SHOP_V1}, "shop_models_v2", "Classifier", {}),
    "attribuut hernoemd": ({"shop_models": SHOP_V1.replace("self.fc1", "self.encoder")},
                           "shop_models", "Classifier", {"fc1.": "encoder."}),
    "attribuut toegevoegd": ({"shop_models": SHOP_V1.replace(
        "        self.fc2 = nn.Linear(hidden, num_classes)\n",
        "        self.fc2 = nn.Linear(hidden, num_classes)\n        self.temperature = 1.0\n").replace(
        "return self.fc2(torch.relu(self.fc1(x)))", "return self.fc2(torch.relu(self.fc1(x))) / self.temperature")},
        "shop_models", "Classifier", {}),
}


def first_line(exc: BaseException) -> str:
    """Exception type and the telling line of its message, without terminal colour codes."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    unsupported = re.search(r"Unsupported global: GLOBAL [\w.]+", text)
    line = unsupported.group(0) if unsupported else (text.splitlines() or [""])[0]
    return f"{type(exc).__name__}: {line}"


def try_whole_model() -> str:
    try:
        loaded = torch.load(whole_path, weights_only=False)  # our own file, see the text above
    except Exception as exc:  # we want to see exactly what breaks
        return f"laden faalt → {first_line(exc)}"
    try:
        with torch.no_grad():
            out = loaded(X_demo)
    except Exception as exc:
        return f"laden lukt, voorspellen faalt → {first_line(exc)}"
    return f"laden en voorspellen lukken, uitvoer gelijk: {torch.equal(out, expected)}"


def try_state_dict(module_name: str, class_name: str, key_map: dict[str, str]) -> str:
    new_model = getattr(sys.modules[module_name], class_name)()
    state = torch.load(weights_path)  # weights_only=True, the default
    try:
        new_model.load_state_dict(state, strict=True)
        note = "strict laadt"
    except RuntimeError as exc:
        note = f"strict faalt ({first_line(exc).split(':', 1)[0]}); met sleutel-vertaling"
        renamed = {}
        for key, tensor in state.items():
            for old, new in key_map.items():
                if key.startswith(old):
                    key = new + key[len(old):]
            renamed[key] = tensor
        new_model.load_state_dict(renamed, strict=True)
    with torch.no_grad():
        out = new_model(X_demo)
    return f"{note}; uitvoer gelijk: {torch.equal(out, expected)}"


results = {}
for name, (files, module_name, class_name, key_map) in REFACTORINGS.items():
    with code_version(files):
        results[name] = (try_whole_model(), try_state_dict(module_name, class_name, key_map))
for name, (whole, state) in results.items():
    print(f"{name}\n  torch.save(model) : {whole}\n  state_dict        : {state}")

# %% [markdown]
# Bij "attribuut hernoemd" faalt de strikte lading eerst; de foutmelding noemt precies welke sleutels ontbreken en
# welke over zijn:

# %%
with code_version(REFACTORINGS["attribuut hernoemd"][0]) as mods:
    try:
        mods["shop_models"].Classifier().load_state_dict(torch.load(weights_path), strict=True)
    except RuntimeError as exc:
        print(re.sub(r"\x1b\[[0-9;]*m", "", str(exc)))

# %% [markdown]
# **Conclusie:** na elk van de vier refactorings is het gepickelde hele model onbruikbaar: hernoemen en verplaatsen
# geven een fout bij het **laden** (`AttributeError` en `ModuleNotFoundError`), een hernoemd of nieuw attribuut geeft
# pas een fout bij de eerste **voorspelling** (`AttributeError` in `forward`) — in productie het slechtste moment.
# De `state_dict` laadt in alle vier gevallen in de nieuwe klasse met exact dezelfde uitvoer; bij het hernoemde
# attribuut weigert `strict=True` eerst luid (met de namen erbij) en lost een sleutel-vertaling `fc1.` → `encoder.`
# het op. Let op: bij "attribuut toegevoegd" is de uitvoer gelijk omdat de nieuwe code `temperature` niet in de
# state dict zet; een nieuw *gewicht* zou `strict=True` als ontbrekende sleutel melden.

# %% [markdown]
# `code_version` bootst een nieuwe sessie na door de module opnieuw van schijf te importeren. Voor wie dat niet
# gelooft: hieronder dezelfde lading van het hele model na "module verplaatst" in een **echt nieuw Python-proces**
# (alleen als je het notebook zelf draait; tijdens het nakijken wordt dit overgeslagen, het kost een paar seconden).

# %%
if HEAVY:
    fresh = WORKDIR / "fresh_process"
    fresh.mkdir(exist_ok=True)
    (fresh / "shop_models_v2.py").write_text(SHOP_V1)
    script = ("import torch, sys\n"
              "try:\n"
              f"    torch.load({str(whole_path)!r}, weights_only=False)\n"
              "    print('laadt')\n"
              "except Exception as exc:\n"
              "    print(type(exc).__name__ + ': ' + str(exc).splitlines()[0])\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=fresh, capture_output=True, text=True, timeout=120)
    print(f"nieuw proces, alleen shop_models_v2.py aanwezig → {proc.stdout.strip() or proc.stderr.strip()[-300:]}")
else:
    print("overgeslagen tijdens het nakijken")

# %% [markdown]
# ## Demo 3 — Sinds PyTorch 2.6 weigert `torch.load` een heel model
#
# Het antwoordmodel stamt van vóór PyTorch 2.6 (januari 2025). Sinds die versie is de standaardwaarde
# `torch.load(..., weights_only=True)`: de unpickler accepteert dan alleen tensors, getallen, strings en de gewone
# containers (dict, list, tuple), plus klassen die je zelf expliciet toestaat. Een gepickeld model bevat verwijzingen
# naar klassen (`Classifier`, `nn.Linear`), dus het laden faalt nu al **zonder** refactoring, met de oorspronkelijke
# code gewoon aanwezig.

# %%
with code_version({"shop_models": SHOP_V1}):
    try:
        torch.load(whole_path)  # the default: weights_only=True
        print("laadt")
    except pickle.UnpicklingError as exc:
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
        print(f"torch {torch.__version__}: {type(exc).__module__}.{type(exc).__name__}")
        print("\n".join(line for line in message.splitlines()
                        if "PyTorch 2.6" in line or "WeightsUnpickler" in line or "Weights only" in line))
    state = torch.load(weights_path)
    print(f"\ntorch.load(state_dict-bestand) met de standaard: {type(state).__name__} met {len(state)} tensors")
    print(f"de state_dict is óók een zip met een pickle: {zipfile.ZipFile(weights_path).namelist()[:2]} ...")

# %% [markdown]
# **Conclusie:** op de huidige PyTorch geeft `torch.load` van een heel model een `UnpicklingError`
# (`Unsupported global: GLOBAL shop_models.Classifier`), terwijl een `state_dict` met dezelfde standaardinstelling
# gewoon laadt. Ook `torch.save(model.state_dict())` schrijft een pickle; hij laadt alleen veilig omdat de
# `weights_only`-unpickler er niets anders in toestaat dan tensors en containers. De foutmelding biedt twee uitwegen:
# `weights_only=False` (voer elke pickle uit — zie hieronder waarom niet) of `torch.serialization.add_safe_globals`
# voor klassen die je vertrouwt.

# %% [markdown]
# ## Demo 4 — Een pickle voert code uit bij het laden
#
# Pickle slaat een object op als een recept: "roep deze functie aan met deze argumenten". Een object met een eigen
# `__reduce__` bepaalt dat recept zelf. Hieronder stopt een "aanvaller" zo'n object naast echte gewichten in een
# checkpoint. De payload is onschuldig: hij schrijft alleen een markeerbestand in onze tijdelijke map. Een echte
# aanvaller kiest hier elke opdracht die hij wil.

# %%
marker = WORKDIR / "PAYLOAD_RAN.txt"


class Payload:
    """Pickles as 'call exec(code)': loading it runs code chosen by whoever wrote the file."""

    def __reduce__(self):
        return (exec, (f"open({str(marker)!r}, 'w').write('code ran while loading')",))


evil_path = WORKDIR / "innocent_looking_checkpoint.pt"
torch.save({"fc1.weight": torch.randn(8, 4), "fc1.bias": torch.zeros(8), "note": Payload()}, evil_path)


def load_and_check(label: str, load) -> tuple[str, str, bool]:
    marker.unlink(missing_ok=True)
    try:
        load()
        outcome = "laadt"
    except Exception as exc:
        outcome = first_line(exc)[:90]
    return label, outcome, marker.exists()


rows = [
    load_and_check("torch.load (standaard, weights_only=True)", lambda: torch.load(evil_path)),
    # The one place in this notebook where an untrusted file is loaded with weights_only=False: on purpose.
    load_and_check("torch.load(weights_only=False)", lambda: torch.load(evil_path, weights_only=False)),
    load_and_check("pickle.loads (gewone pickle, zelfde payload)",
                   lambda: pickle.loads(pickle.dumps({"w": [0.5, 1.5], "note": Payload()}))),
]
marker.unlink(missing_ok=True)
print(f"{'methode':<44}{'code uitgevoerd?':>17}   resultaat")
for label, outcome, ran in rows:
    print(f"{label:<44}{'JA' if ran else 'nee':>17}   {outcome}")

# %% [markdown]
# **Conclusie:** met `weights_only=False` (het gedrag van `torch.load` vóór 2.6) en met gewone `pickle` draait de
# code van de aanvaller tijdens het laden — vóórdat je ook maar één gewicht hebt gezien; de tabel toont "JA".
# `weights_only=True` weigert het bestand (`Unsupported global: GLOBAL exec`) en voert niets uit.
# Een checkpoint van internet of uit een gedeelde bucket is dus code, geen data, zolang het een pickle is.

# %% [markdown]
# ## Demo 5 — safetensors: alleen tensors, plus een config ernaast
#
# Een safetensors-bestand is: 8 bytes met de lengte van een JSON-header, die header (per tensor naam, dtype, vorm en
# positie), en daarna de ruwe bytes van de tensors. Er zit geen pickle in, dus er valt niets uit te voeren. Wat het
# bestand niet bevat is de architectuur: die zet je als kleine JSON-config ernaast, met alleen de gegevens die je
# nodig hebt om het model opnieuw te bouwen.

# %%
seed_everything(0)
model = TinyNet(4, 8, 3)
folder = WORKDIR / "demo_export"
folder.mkdir(exist_ok=True)
safetensors.torch.save_file(model.state_dict(), folder / "model.safetensors")
(folder / "config.json").write_text(json.dumps({"architecture": "TinyNet", "in_features": 4, "hidden": 8,
                                                 "num_classes": 3}))
data = (folder / "model.safetensors").read_bytes()
header_len = int.from_bytes(data[:8], "little")
header = json.loads(data[8:8 + header_len])
print(f"bestand: {len(data)} bytes = 8 + header {header_len} + tensordata {len(data) - 8 - header_len}")
for name, info in list(header.items())[:4]:
    print(f"  {name:<22} {info}")
print(f"config.json: {(folder / 'config.json').read_text()}")
try:
    safetensors.torch.save_file({"w": torch.zeros(2), "note": Payload()}, folder / "evil.safetensors")
except Exception as exc:
    print(f"\neen Payload opslaan in safetensors → {first_line(exc)[:100]}")
try:
    safetensors.torch.load_file(evil_path)
except SafetensorError as exc:
    print(f"de pickle van demo 4 laden als safetensors → {first_line(exc)}; code uitgevoerd: {marker.exists()}")
loaded_by_torch = torch.load(folder / "model.safetensors")
print(f"torch.load op een pad dat eindigt op .safetensors geeft op torch {torch.__version__}: "
      f"{type(loaded_by_torch).__name__} met {len(loaded_by_torch)} tensors")

# %% [markdown]
# **Conclusie:** de header is leesbare JSON met per tensor `dtype`, `shape` en `data_offsets`; de rest van het
# bestand zijn ruwe getallen. Een Python-object kun je er niet in stoppen, en een pickle die zich als safetensors
# voordoet wordt geweigerd zonder dat er code draait. De laatste regel laat zien dat `torch.load` op deze versie een
# pad dat eindigt op `.safetensors` zelf aan safetensors doorgeeft; `torch.save` schrijft daarentegen altijd een
# pickle-zip, ook als de bestandsnaam op `.safetensors` eindigt. Schrijf safetensors dus met
# `safetensors.torch.save_file`.
#
# ### Bestandsgrootte en laadtijd
#
# We vergelijken vijf manieren om een groter `TinyNet` te laden, vanuit bestanden die al in de cache van het
# besturingssysteem staan (zo meten we het formaat, niet de schijf). Het hele model laden we met
# `weights_only=True` en een expliciete lijst toegestane klassen (`torch.serialization.safe_globals`). Per methode
# de mediaan van minstens 5 herhalingen na één opwarmronde, op één thread, op jouw machine.
#
# Eerlijk meten vraagt twee kolommen. safetensors en `torch.load(..., mmap=True)` koppelen het bestand alleen aan
# het geheugen (*memory mapping*, zero-copy): de getallen worden pas van het bestand gelezen als je ze aanraakt. Daarom
# meten we ook "laden + elk getal één keer lezen" (de som van alle tensors), wat een model bij zijn eerste
# voorspelling ook doet.

# %%
seed_everything(0)
sizes = (512, 2048, 512) if HEAVY else (64, 128, 64)
num_repeats = 7 if HEAVY else 5
big = TinyNet(*sizes)
paths = {"torch.save(model)": WORKDIR / "big_whole.pt", "torch.save(state_dict)": WORKDIR / "big_state.pt",
         "safetensors": WORKDIR / "big.safetensors"}
torch.save(big, paths["torch.save(model)"])
torch.save(big.state_dict(), paths["torch.save(state_dict)"])
safetensors.torch.save_file(big.state_dict(), paths["safetensors"])
allowed = [TinyNet, nn.Linear, nn.BatchNorm1d, nn.Dropout]


def load_whole():
    with torch.serialization.safe_globals(allowed):
        return torch.load(paths["torch.save(model)"])


def load_one_tensor():
    with safe_open(paths["safetensors"], framework="pt") as f:
        return f.get_tensor("fc2.bias")


loaders = {
    "torch.save(model)": load_whole,
    "torch.save(state_dict)": lambda: torch.load(paths["torch.save(state_dict)"]),
    "torch.save(state_dict), mmap=True": lambda: torch.load(paths["torch.save(state_dict)"], mmap=True),
    "safetensors load_file": lambda: safetensors.torch.load_file(paths["safetensors"]),
    "safetensors, één tensor (safe_open)": load_one_tensor,
}
file_of = {"torch.save(state_dict), mmap=True": "torch.save(state_dict)", "safetensors load_file": "safetensors",
           "safetensors, één tensor (safe_open)": "safetensors"}


def touch_all(loaded) -> float:
    """Read every number once (a model's first forward does the same)."""
    if isinstance(loaded, torch.Tensor):
        return loaded.double().sum().item()
    state = loaded.state_dict() if isinstance(loaded, nn.Module) else loaded
    return sum(t.double().sum().item() for t in state.values())


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return 1000 * statistics.median(runs)


timings = {name: median_ms(load, num_repeats) for name, load in loaders.items()}
timings_touched = {name: median_ms(lambda load=load: touch_all(load()), num_repeats) for name, load in loaders.items()}
print(f"TinyNet{sizes}: {sum(t.numel() for t in big.state_dict().values()):,} getallen")
print(f"{'methode':<38}{'bestand (MB)':>13}{'laden (ms)':>12}{'laden + alles lezen (ms)':>26}")
for name, ms in timings.items():
    mb = paths[file_of.get(name, name)].stat().st_size / 1e6
    print(f"{name:<38}{mb:>13.3f}{ms:>12.2f}{timings_touched[name]:>26.2f}")

# %%
def plot_timings() -> None:
    """Two bars per method: load only, and load + read every number."""
    fig, ax = plt.subplots(figsize=(8.0, 4.0))
    names = list(timings)
    rows_y = torch.arange(len(names)).float()
    ax.barh(rows_y - 0.2, [timings[n] for n in names], height=0.4, color="tab:blue", label="alleen laden")
    ax.barh(rows_y + 0.2, [timings_touched[n] for n in names], height=0.4, color="tab:orange",
            label="laden + elk getal lezen")
    for i, n in enumerate(names):
        ax.text(timings_touched[n], i + 0.2, f" {timings_touched[n]:.1f} ms", va="center", fontsize=9)
    ax.set_yticks(rows_y.tolist(), names)
    ax.invert_yaxis()
    ax.set_xlabel("tijd in ms (mediaan, bestand in de cache)")
    ax.set_title(f"Laden van TinyNet{sizes} ({paths['safetensors'].stat().st_size / 1e6:.1f} MB)")
    ax.set_xlim(0, 1.35 * max(timings_touched.values()))
    ax.legend(loc="lower right")
    plt.show()


if HEAVY:
    plot_timings()
else:
    print("figuur overgeslagen tijdens het nakijken")
ratio = timings["torch.save(state_dict)"] / timings["safetensors load_file"]
ratio_touched = timings_touched["torch.save(state_dict)"] / timings_touched["safetensors load_file"]
lazy = timings_touched["safetensors load_file"] / timings_touched["safetensors, één tensor (safe_open)"]
print(f"Conclusie (gemeten): alleen laden is safetensors {ratio:.1f}× zo snel als torch.load van dezelfde "
      f"state_dict, maar met elk getal gelezen nog maar {ratio_touched:.1f}×; één tensor lezen met safe_open is "
      f"{lazy:.0f}× zo snel als het hele bestand laden en lezen.")

# %% [markdown]
# **Conclusie:** de drie bestanden zijn vrijwel even groot: de tensordata domineert, het hele model voegt maar een
# paar kilobyte pickle toe (kolom "bestand"). De regel "Conclusie (gemeten)" onder de figuur geeft de verhoudingen
# op jouw machine: het grote verschil in "alleen laden" komt vooral doordat safetensors (net als `mmap=True`) de
# getallen pas leest als je ze gebruikt; tel je het lezen mee, dan krimpt het verschil. Snelheid is dus een
# bijkomstigheid die van machine en instellingen afhangt. De doorslaggevende voordelen van safetensors zijn dat er
# geen code in kan, dat je één tensor kunt lezen zonder de rest, en dat andere talen en tools het formaat zonder
# Python kunnen lezen.

# %% [markdown]
# ## Het antwoordmodel, punt voor punt
#
# > *Antwoordmodel:* "`state_dict()` voordeel: portable, onafhankelijk van class-definities en minder afhankelijk
# > van path/namespace issues; `torch.save(model)` picklet gehele object en kan version/namespace-sensitive zijn."
#
# | bewering | oordeel | bewijs |
# |---|---|---|
# | `torch.save(model)` picklet het gehele object en is version/namespace-sensitive | **klopt, onvolledig** | Demo 1–2: de pickle bevat geen code maar een *verwijzing* `module.Klasse`; hernoemen en verplaatsen breken het laden, een veranderd attribuut breekt pas `forward`. |
# | `state_dict` is minder afhankelijk van path/namespace | **klopt** | Demo 2: de state dict laadt na hernoemen en verplaatsen van de klasse. |
# | `state_dict` is onafhankelijk van class-definities | **fout** | Demo 2: je hebt de klasse (en haar maten) nog steeds nodig om het model te bouwen, en de sleutels zijn de *attribuutnamen*: na hernoemen van `fc1` is een sleutel-vertaling nodig. De maten moeten ergens vandaan komen: een config naast de gewichten. |
# | "portable" | **onvolledig** | Demo 3: `torch.save(state_dict)` is nog steeds een pickle; pas safetensors (demo 5) is een taal-neutraal formaat. |
# | (ontbreekt) veiligheid | **ontbreekt** | Demo 4: een pickle laden met `weights_only=False` voert code uit; dat is in productie de belangrijkste reden. |
# | (ontbreekt) PyTorch ≥ 2.6 | **verouderd** | Demo 3: op de huidige PyTorch laadt `torch.load(model-bestand)` standaard niet eens meer (`UnpicklingError`). |

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt modellen en mappen voor de tests. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
from mlinfra.grading import assert_dutch


def trained_tinynet(in_features: int, hidden: int, num_classes: int, seed: int) -> TinyNet:
    """A TinyNet with non-default BatchNorm statistics (a few train-mode forwards), left in train mode."""
    seed_everything(seed)
    model = TinyNet(in_features, hidden, num_classes)
    with torch.no_grad():
        for _ in range(3):
            model(2.0 * torch.randn(16, in_features) + 1.0)
    return model


def new_folder(name: str) -> Path:
    """A path for an export that does not exist yet (inside the notebook's temp dir; emptied on a re-run)."""
    path = WORKDIR / "exercise" / name
    if path.exists():
        shutil.rmtree(path)
    return path


def eval_outputs(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(X)


def write_pickle_bomb(path: Path, marker_path: Path) -> None:
    """A checkpoint that runs harmless code (it creates marker_path) when unpickled with weights_only=False."""

    class Bomb:
        def __reduce__(self):
            return (exec, (f"open({str(marker_path)!r}, 'w').write('payload ran')",))

    torch.save({"fc1.weight": torch.zeros(8, 4), "bomb": Bomb()}, path)


def expect_value_error(folder, what: str) -> None:
    """Assert that load_for_production(folder) raises a ValueError with a Dutch message."""
    try:
        load_for_production(folder)
    except ValueError as exc:
        assert_dutch(exc, what)
    except Exception as exc:
        raise AssertionError(f"load_for_production gaf {type(exc).__name__} in plaats van ValueError bij {what}. "
                             "Tip: vang de fout van de bibliotheek op en geef een eigen, Nederlandse melding.") from None
    else:
        raise AssertionError(f"load_for_production gaf geen ValueError bij {what}.")


def write_export(folder: Path, model: TinyNet) -> None:
    """Write model.safetensors and config.json of ``model`` as the task describes them, without your export."""
    folder.mkdir(parents=True, exist_ok=True)
    safetensors.torch.save_file(model.state_dict(), folder / "model.safetensors")
    sizes = {"in_features": model.in_features, "hidden": model.hidden, "num_classes": model.num_classes}
    (folder / "config.json").write_text(json.dumps({"architecture": "TinyNet", **sizes}))


def read_weights(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, str] | None]:
    """The tensors and metadata in folder/model.safetensors (a Dutch AssertionError when it is no safetensors file)."""
    try:
        with safe_open(folder / "model.safetensors", framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()
    except (SafetensorError, OSError):
        raise AssertionError("Na je export staat er geen safetensors-bestand model.safetensors, dus de test kan de "
                             "gewichten niet aanpassen. Tip: de bestandsnaam maakt het formaat niet.") from None


def grad_mode_after(call, enabled: bool) -> bool:
    """torch.is_grad_enabled() after call(), with grad mode set to ``enabled`` before it; on again afterwards."""
    try:
        torch.set_grad_enabled(enabled)
        call()
        return torch.is_grad_enabled()
    finally:
        torch.set_grad_enabled(True)  # later cells run with gradients on, whatever the call did

# %% [markdown]
# ### Oefening 1 — Exporteren en laden voor productie (10 punten)
#
# Schrijf twee functies voor modellen uit de familie `TinyNet` (de klasse uit de opzet-cel). Alle meldingen van de
# fouten hieronder zijn Nederlands en zeggen wat er mis is; geef dus geen Engelse melding van Python of een
# bibliotheek door.
#
# **`export_for_production(model, folder)`**
# - `model` moet een `TinyNet` zijn (`isinstance`; een subklasse mag ook). Anders: `TypeError` met een Nederlandse
#   melding, vóórdat je iets schrijft.
# - `folder` is een `str` of `Path`; maak de map aan als die nog niet bestaat (ook tussenliggende mappen).
# - Schrijf in `folder` precies twee bestanden en niets anders:
#   - `model.safetensors`: **alle** tensors uit `model.state_dict()` (parameters én buffers), met dezelfde namen,
#     vormen, dtypes en waarden;
#   - `config.json`: precies `{"architecture": "TinyNet", "in_features": …, "hidden": …, "num_classes": …}` met de
#     maten van dit model (gehele getallen).
# - Laat het model dat je meekrijgt ongemoeid: modus en gewichten. Na de export staat elke submodule in dezelfde
#   modus (train of eval) als ervoor en zijn alle parameters en buffers onveranderd, zodat een trainingslus die
#   halverwege exporteert gewoon verder traint.
#
# **`load_for_production(folder)`** → een `TinyNet`
# - Bouw het model opnieuw als `TinyNet(...)` met de maten uit `config.json`. Gebruik daarvoor de klasse `TinyNet`
#   zoals die in dit notebook bestaat op het moment van laden, niet een pickle of een importpad uit de bestanden:
#   tussen export en laden kan de klasse van module verhuizen of hernoemd zijn.
# - Laad de gewichten **strikt**: elke sleutel moet bestaan en dezelfde vorm hebben, geen enkele mag ontbreken of
#   over zijn.
# - Geef het model terug in eval-modus, klaar voor inferentie, met exact dezelfde uitvoer als het geëxporteerde model
#   in eval-modus.
# - Gooi een `ValueError` met een Nederlandse melding als
#   - de map, `config.json` of `model.safetensors` ontbreekt;
#   - `config.json` geen geldige JSON is, niet precies de vier sleutels hierboven heeft, `architecture` niet
#     `"TinyNet"` is, of een maat geen positief geheel getal is (ook als de gewichten bij die maat passen: een
#     `TinyNet(0, 8, 3)` kun je bouwen en opslaan, maar het is geen bruikbaar model);
#   - `model.safetensors` geen geldig safetensors-bestand is (beschadigd, of een pickle met een andere naam; zo'n
#     bestand mag bij het laden **nooit** code uitvoeren);
#   - de gewichten niet passen bij het model uit de config (ontbrekende of extra sleutels, andere vormen).
# - Verander geen globale instellingen van PyTorch: na de aanroep geeft `torch.is_grad_enabled()` hetzelfde als
#   ervoor. Klaar voor inferentie betekent eval-modus; of er gradients berekend worden, beslist de code die het model
#   gebruikt (die kan het bijvoorbeeld nog fine-tunen). Dat geldt ook voor `export_for_production`.
#
# Tip: de fouten die `safetensors` en `load_state_dict` zelf gooien zijn geen `ValueError`s, en de
# `json.JSONDecodeError` van `json` is er wel een, maar met een Engelse melding: vang ze alle drie op en gooi je eigen
# `ValueError`. `SafetensorError` is al geïmporteerd.

# %% nbgrader={"grade_id": "export_load", "solution": true}
def export_for_production(model: nn.Module, folder: str | Path) -> None:
    """Write ``model.safetensors`` (the full state dict) and ``config.json`` (the sizes) into ``folder``."""
    ### BEGIN SOLUTION
    if not isinstance(folder, (str, Path)):
        raise TypeError(f"folder moet een str of Path zijn, niet {type(folder).__name__}")
    if not isinstance(model, TinyNet):
        raise TypeError(f"model moet een TinyNet zijn, niet {type(model).__name__}; "
                        "alleen dan kan config.json het model beschrijven")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    safetensors.torch.save_file(state, folder / "model.safetensors")
    config = {"architecture": "TinyNet", "in_features": int(model.in_features), "hidden": int(model.hidden),
              "num_classes": int(model.num_classes)}
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    ### END SOLUTION


def load_for_production(folder: str | Path) -> TinyNet:
    """Rebuild a TinyNet from ``config.json`` and load ``model.safetensors`` strictly; returns it in eval mode."""
    ### BEGIN SOLUTION
    if not isinstance(folder, (str, Path)):
        raise TypeError(f"folder moet een str of Path zijn, niet {type(folder).__name__}")
    folder = Path(folder)
    config_path, weights_path = folder / "config.json", folder / "model.safetensors"
    for path in (config_path, weights_path):
        if not path.is_file():
            raise ValueError(f"{path} ontbreekt; exporteer het model met export_for_production")
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"config.json is geen geldige JSON: {exc}") from exc
    keys = {"architecture", "in_features", "hidden", "num_classes"}
    if not isinstance(config, dict) or set(config) != keys:
        raise ValueError(f"config.json moet precies de sleutels {sorted(keys)} hebben")
    if config["architecture"] != "TinyNet":
        raise ValueError(f"onbekende architecture {config['architecture']!r}; verwacht 'TinyNet'")
    sizes = {k: config[k] for k in ("in_features", "hidden", "num_classes")}
    for key, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key} in config.json moet een positief geheel getal zijn, niet {value!r}")
    try:
        state = safetensors.torch.load_file(weights_path)
    except SafetensorError as exc:
        raise ValueError(f"model.safetensors is geen geldig safetensors-bestand: {exc}") from exc
    model = TinyNet(**sizes)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"de gewichten passen niet bij TinyNet{tuple(sizes.values())}: {exc}") from exc
    return model.eval()
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_export_writes_two_files_and_config", "grade": true, "points": 1}
"""Checks that export_for_production writes exactly model.safetensors and config.json with the model's sizes."""
with quiet():
    folder = new_folder("files_visible")
    export_for_production(TinyNet(4, 8, 3), folder)
    written = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    assert written == ["config.json", "model.safetensors"], (
        f"In de map staan {written}; verwacht precies config.json en model.safetensors.")
    config = json.loads((folder / "config.json").read_text())
    assert config == {"architecture": "TinyNet", "in_features": 4, "hidden": 8, "num_classes": 3}, (
        f"config.json bevat {config}. Tip: alleen de vier sleutels uit de opdracht, met de maten van dit model.")
    ### BEGIN HIDDEN TESTS
    folder = str(new_folder("files_hidden") / "nested" / "deeper")
    export_for_production(trained_tinynet(7, 5, 2, seed=21), folder)
    assert sorted(p.name for p in Path(folder).iterdir()) == ["config.json", "model.safetensors"], (
        "In een geneste, nog niet bestaande map staan niet precies config.json en model.safetensors. Tip: maak je "
        "de map zelf aan?")
    config = json.loads((Path(folder) / "config.json").read_text())
    assert config == {"architecture": "TinyNet", "in_features": 7, "hidden": 5, "num_classes": 2}, config
    assert all(type(config[k]) is int for k in ("in_features", "hidden", "num_classes")), (
        f"config.json bevat {config}; de maten moeten gewone int-waarden zijn. Tip: welk type schrijf je weg?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_export_weights_are_plain_safetensors", "grade": true, "points": 1}
"""Checks that model.safetensors is a real safetensors file holding the full state dict, unchanged."""
with quiet():
    model = trained_tinynet(4, 8, 3, seed=2)
    folder = new_folder("plain_visible")
    export_for_production(model, folder)
    try:
        stored = safetensors.torch.load_file(folder / "model.safetensors")
    except Exception as exc:
        raise AssertionError(f"model.safetensors is geen safetensors-bestand ({type(exc).__name__}). Tip: de "
                             "bestandsnaam maakt het formaat niet.") from None
    assert set(stored) == set(model.state_dict()), (
        f"Sleutels in het bestand: {sorted(stored)}; verwacht alle sleutels van model.state_dict(). Tip: buffers "
        "horen er ook bij.")
    ### BEGIN HIDDEN TESTS
    for name, tensor in model.state_dict().items():
        assert stored[name].dtype == tensor.dtype, f"{name}: dtype {stored[name].dtype} in plaats van {tensor.dtype}"
        assert torch.equal(stored[name], tensor), f"{name}: waarden zijn veranderd"
    assert stored["bn.num_batches_tracked"].item() == 3, (
        "bn.num_batches_tracked in het bestand klopt niet. Tip: worden alle buffers ongewijzigd opgeslagen?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_export_leaves_model_unchanged", "grade": true, "points": 1}
"""Checks that export_for_production leaves the model alone: the mode of every submodule, weights and buffers."""
with quiet():
    model = trained_tinynet(4, 8, 3, seed=6)  # in train mode, as in the middle of a training loop
    export_for_production(model, new_folder("untouched_visible"))
    assert all(m.training for m in model.modules()), (
        "Na de export staat het model (of een deel ervan) niet meer in train-modus. Tip: een trainingslus die "
        "halverwege exporteert, moet gewoon verder kunnen trainen.")
    ### BEGIN HIDDEN TESTS
    before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    export_for_production(model, new_folder("untouched_hidden_state"))
    after = model.state_dict()
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before), (
        "De export veranderde parameters of buffers van het model. Tip: wat doet een forward-pass in train-modus "
        "met BatchNorm?")
    assert all(p.requires_grad for p in model.parameters()), (
        "Na de export berekenen de parameters geen gradients meer. Tip: laat het model zoals je het kreeg.")
    # Fine-tuning with frozen BatchNorm: a mixed mode must stay mixed, and an eval-mode model in eval mode.
    for label, set_mode in (("eval", lambda m: m.eval()), ("gemengd", lambda m: m.train().bn.eval())):
        set_mode(model)
        modes = [m.training for m in model.modules()]
        export_for_production(model, new_folder(f"untouched_hidden_{label}"))
        assert [m.training for m in model.modules()] == modes, (
            f"Na de export is de modus van het model veranderd (vooraf: {label}). Tip: zet je de modus terug zoals "
            "die per submodule was?")
    grad_after = grad_mode_after(lambda: export_for_production(model, new_folder("untouched_hidden_grad")), True)
    assert grad_after, "Na de export staan gradients overal uit. Tip: laat globale instellingen zoals ze waren."
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_roundtrip_is_exact", "grade": true, "points": 1}
"""Checks that load_for_production returns a TinyNet in eval mode with exactly the exported model's outputs."""
with quiet():
    model = trained_tinynet(4, 8, 3, seed=3)
    folder = new_folder("roundtrip_visible")
    export_for_production(model, folder)
    X_check = torch.randn(6, 4)
    expected = eval_outputs(model, X_check)
    loaded = load_for_production(folder)
    assert isinstance(loaded, TinyNet), f"load_for_production gaf een {type(loaded).__name__}, verwacht een TinyNet."
    assert not loaded.training and not any(m.training for m in loaded.modules()), (
        "Het geladen model staat nog in train-modus. Tip: in productie wil je dat Dropout en BatchNorm zich "
        "gedragen als bij inferentie.")
    with torch.no_grad():
        assert torch.equal(loaded(X_check), expected), (
            "De uitvoer van het geladen model wijkt af van het origineel. Tip: zitten de BatchNorm-buffers erbij, "
            "en is elk getal ongewijzigd opgeslagen?")
    ### BEGIN HIDDEN TESTS
    # Two exports, loaded in reverse order: each folder gives back its own model.
    other = trained_tinynet(4, 8, 3, seed=33)
    folder2 = new_folder("roundtrip_hidden")
    export_for_production(other, folder2)
    expected2 = eval_outputs(other, X_check)
    del other
    first, second = load_for_production(folder2), load_for_production(folder)
    with torch.no_grad():
        assert torch.equal(first(X_check), expected2) and torch.equal(second(X_check), expected), (
            "Twee exports in omgekeerde volgorde geladen geven niet elk hun eigen uitvoer. Tip: hangt het laden "
            "af van iets buiten de map?")
    for name, tensor in model.state_dict().items():
        assert torch.equal(second.state_dict()[name], tensor), name
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_keeps_grad_mode", "grade": true, "points": 1}
"""Checks that load_for_production leaves the global grad mode (torch.is_grad_enabled()) as it was."""
with quiet():
    folder = new_folder("grad_mode_visible")
    export_for_production(TinyNet(4, 8, 3), folder)
    assert grad_mode_after(lambda: load_for_production(folder), True), (
        "Na load_for_production staan gradients in het hele programma uit (torch.is_grad_enabled() is False). Tip: "
        "eval-modus is iets anders dan gradients uitzetten; wat merkt de code na je functie ervan?")
    ### BEGIN HIDDEN TESTS
    assert not grad_mode_after(lambda: load_for_production(folder), False), (
        "Gradients stonden uit vóór load_for_production en staan er daarna weer aan. Tip: laat globale instellingen "
        "zoals ze waren.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_rebuilds_other_size", "grade": true, "points": 1}
"""Checks that load_for_production rebuilds a TinyNet of the exported size, not a fixed one."""
with quiet():
    model = trained_tinynet(6, 32, 5, seed=4)
    folder = new_folder("size_visible")
    export_for_production(model, folder)
    loaded = load_for_production(folder)
    shapes = (tuple(loaded.fc1.weight.shape), tuple(loaded.fc2.weight.shape))
    assert shapes == ((32, 6), (5, 32)), (
        f"Het geladen model heeft lagen {shapes}; het geëxporteerde model had ((32, 6), (5, 32)). Tip: waar haal "
        "je de maten vandaan?")
    ### BEGIN HIDDEN TESTS
    for sizes, seed in (((1, 1, 1), 41), ((3, 17, 9), 42)):
        model = trained_tinynet(*sizes, seed=seed)
        folder = new_folder(f"size_hidden_{seed}")
        export_for_production(model, folder)
        X_check = torch.randn(4, sizes[0])
        loaded = load_for_production(folder)
        assert (loaded.in_features, loaded.hidden, loaded.num_classes) == sizes, (
            f"Het geladen model heeft niet de maten {sizes}. Tip: waar haal je de maten vandaan?")
        assert torch.equal(eval_outputs(loaded, X_check), eval_outputs(model, X_check)), (
            f"Bij maten {sizes} geeft het geladen model andere uitvoer. Tip: zijn alle gewichten en buffers geladen?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_survives_moved_class", "grade": true, "points": 1}
"""Checks that a model exported from a class in another module still loads after that module is gone."""
with quiet():
    # The exported model's class lived in a module 'legacy_models' that a later refactoring removed.
    legacy = types.ModuleType("legacy_models")
    legacy.TinyNet = type("TinyNet", (TinyNet,), {"__module__": "legacy_models"})
    sys.modules["legacy_models"] = legacy
    seed_everything(5)
    model = legacy.TinyNet(4, 8, 3)
    folder = new_folder("moved_visible")
    try:
        export_for_production(model, folder)
    finally:
        del sys.modules["legacy_models"]
    X_check = torch.randn(3, 4)
    try:
        loaded = load_for_production(folder)
    except Exception as exc:
        raise AssertionError(f"Laden faalde nadat de klasse verhuisde: {type(exc).__name__}: {exc}. Tip: wat in je "
                             "bestanden verwijst nog naar de oude module?") from None
    assert type(loaded) is TinyNet, f"Verwacht een model van de huidige klasse TinyNet, kreeg {type(loaded)}."
    assert torch.equal(eval_outputs(loaded, X_check), eval_outputs(model, X_check)), "De uitvoer is veranderd."
    ### BEGIN HIDDEN TESTS
    # Renamed and moved into a nested package that no longer exists.
    pkg, sub = types.ModuleType("acme"), types.ModuleType("acme.nets_v1")
    sub.OldNet = type("OldNet", (TinyNet,), {"__module__": "acme.nets_v1", "__qualname__": "OldNet"})
    sys.modules.update({"acme": pkg, "acme.nets_v1": sub})
    pkg.nets_v1 = sub
    seed_everything(55)
    model = sub.OldNet(4, 8, 3)
    folder = new_folder("moved_hidden")
    try:
        export_for_production(model, str(folder))
    finally:
        del sys.modules["acme"], sys.modules["acme.nets_v1"]
    loaded = load_for_production(str(folder))
    X_check = torch.randn(3, 4)
    assert type(loaded) is TinyNet, (
        f"load_for_production gaf een {type(loaded).__name__}, geen TinyNet. Tip: leunt het laden op de oude klasse?")
    assert torch.equal(eval_outputs(loaded, X_check), eval_outputs(model, X_check)), (
        "Het geladen model van een verplaatste klasse geeft andere uitvoer. Tip: zijn alle gewichten geladen?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_rejects_mismatched_weights", "grade": true, "points": 1}
"""Checks that load_for_production raises ValueError when the weights do not fit the config."""
with quiet():
    folder = new_folder("mismatch_visible")
    export_for_production(TinyNet(4, 16, 3), folder)
    (folder / "config.json").write_text(json.dumps(
        {"architecture": "TinyNet", "in_features": 4, "hidden": 8, "num_classes": 3}))
    expect_value_error(folder, "gewichten met hidden=16 en een config met hidden=8")
    ### BEGIN HIDDEN TESTS
    for label, change in (("een ontbrekende sleutel", lambda s: s.pop("bn.running_var")),
                          ("een ontbrekende parameter", lambda s: s.pop("fc2.bias")),
                          ("een extra sleutel", lambda s: s.update({"fc3.weight": torch.zeros(3, 3)}))):
        folder = new_folder(f"mismatch_hidden_{label.replace(' ', '_')}")
        export_for_production(TinyNet(4, 8, 3), folder)
        state, metadata = read_weights(folder)  # keep any metadata
        change(state)
        safetensors.torch.save_file(state, folder / "model.safetensors", metadata=metadata)
        expect_value_error(folder, label)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_rejects_tampered_files", "grade": true, "points": 1}
"""Checks that load_for_production raises ValueError for a missing, broken or tampered file, running no code."""
with quiet():
    folder = new_folder("tampered_visible")
    export_for_production(TinyNet(4, 8, 3), folder)
    (folder / "config.json").unlink()
    expect_value_error(folder, "een map zonder config.json")
    ### BEGIN HIDDEN TESTS
    expect_value_error(new_folder("does_not_exist"), "een map die niet bestaat")
    good = {"architecture": "TinyNet", "in_features": 4, "hidden": 8, "num_classes": 3}
    bad_configs = {
        "invalid_json": "{'architecture': 'TinyNet'",
        "list": json.dumps([4, 8, 3]),
        "architecture": json.dumps(dict(good, architecture="ResNet18")),
        "missing_size": json.dumps({k: v for k, v in good.items() if k != "hidden"}),
        "extra_key": json.dumps(dict(good, dropout=0.5)),
        "zero": json.dumps(dict(good, in_features=0)),
        "string": json.dumps(dict(good, hidden="8")),
        "float": json.dumps(dict(good, hidden=8.5)),
    }
    for label, text in bad_configs.items():
        folder = new_folder(f"tampered_config_{label}")
        export_for_production(TinyNet(4, 8, 3), folder)
        (folder / "config.json").write_text(text)
        expect_value_error(folder, f"config.json ({label})")
    for sizes in ((0, 8, 3), (4, 0, 3), (4, 8, 0)):
        # Weights and config that fit each other, of a model with a size 0 (written here, not by your export).
        folder = new_folder("tampered_zero_" + "_".join(map(str, sizes)))
        write_export(folder, TinyNet(*sizes))
        expect_value_error(folder, f"een passend TinyNet{sizes} (een maat 0)")
    folder = new_folder("tampered_no_weights")
    export_for_production(TinyNet(4, 8, 3), folder)
    (folder / "model.safetensors").unlink()
    expect_value_error(folder, "een map zonder model.safetensors")
    folder = new_folder("tampered_truncated")
    export_for_production(TinyNet(4, 8, 3), folder)
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    expect_value_error(folder, "een afgekapt model.safetensors")
    folder = new_folder("tampered_pickle")
    export_for_production(TinyNet(4, 8, 3), folder)
    bomb_marker = WORKDIR / "exercise" / "BOMB_RAN.txt"
    bomb_marker.unlink(missing_ok=True)
    write_pickle_bomb(folder / "model.safetensors", bomb_marker)
    try:
        load_for_production(folder)
    except Exception as exc:
        raised = exc
    else:
        raised = None
    assert not bomb_marker.exists(), "het laden voerde code uit die in het bestand stond"
    assert isinstance(raised, ValueError), f"een pickle als model.safetensors gaf {raised!r}, geen ValueError"
    assert_dutch(raised, "een pickle als model.safetensors")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_export_rejects_non_tinynet", "grade": true, "points": 1}
"""Checks that export_for_production raises TypeError for a model that is not a TinyNet, writing nothing."""
with quiet():
    folder = new_folder("reject_visible")
    try:
        export_for_production(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), folder)
    except TypeError as exc:
        assert_dutch(exc, "een nn.Sequential")
    else:
        raise AssertionError("Een nn.Sequential gaf geen TypeError. Tip: kan config.json dit model beschrijven?")
    ### BEGIN HIDDEN TESTS
    assert not folder.exists() or not any(folder.iterdir()), "bij een TypeError mag er niets geschreven worden"
    folder = new_folder("reject_hidden")
    for bad in ("model.pt", TinyNet(4, 8, 3).state_dict(), None):
        try:
            export_for_production(bad, str(folder))
        except TypeError as exc:
            assert_dutch(exc, f"een {type(bad).__name__} als model")
        else:
            raise AssertionError(f"{type(bad).__name__} gaf geen TypeError")
    assert not folder.exists() or not any(folder.iterdir()), "bij een TypeError mag er niets geschreven worden"
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Leg in eigen woorden uit waarom je in productie `torch.save(model.state_dict())` verkiest boven
# `torch.save(model)`, en waarom je in productie liever nog een stap verder gaat. Noem wat een pickle-bestand
# bewaart, wat er bij het laden mis kan gaan (ook met de huidige PyTorch), en wat je naast de gewichten nodig hebt.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Wat `torch.save(model)` bewaart:* een pickle met de tensors en een **verwijzing** naar de klasse
#    (`module.Klasse`), niet de code. Bij laden moet die klasse onder dezelfde naam importeerbaar zijn: hernoemen of
#    verplaatsen geeft een fout bij het laden, een hernoemd of nieuw attribuut pas bij de eerste `forward`.
# 2. *Wat een `state_dict` oplost en wat niet:* alleen namen → tensors, dus onafhankelijk van waar de klasse staat;
#    je bouwt het model met de huidige code en laadt strikt (`strict=True`), met een sleutel-vertaling als
#    attributen hernoemd zijn. Je hebt wel de klasse én haar maten nodig: een config naast de gewichten.
# 3. *Veiligheid en PyTorch ≥ 2.6:* een pickle laden met `weights_only=False` voert willekeurige code uit; sinds 2.6 is
#    `weights_only=True` de standaard, waardoor `torch.load` van een heel model zelfs een `UnpicklingError` geeft.
#    Ook een `state_dict`-bestand is een pickle; in productie daarom safetensors (alleen tensors, geen code, lazy
#    leesbaar, taal-neutraal) plus een kleine JSON-config, en duidelijke fouten bij een niet-passend bestand.
#
# Puntentoekenning: 1 punt per onderdeel; voor 3 moeten zowel de code-uitvoering als de 2.6-standaard genoemd zijn.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - `torch.save(model)` pickelt een verwijzing naar je klasse, geen code: hernoemen, verplaatsen of een attribuut
#   veranderen breekt het laden of pas de eerste voorspelling.
# - Sinds PyTorch 2.6 laadt `torch.load` standaard met `weights_only=True`: een heel model geeft een
#   `UnpicklingError`, een `state_dict` laadt gewoon.
# - Een pickle laden met `weights_only=False` voert code uit die in het bestand staat; laad nooit een onbekend bestand
#   zo.
# - Een `state_dict` is onafhankelijk van de plek van de klasse, niet van de klasse zelf: je hebt de code én de maten
#   nodig, en hernoemde attributen vragen een sleutel-vertaling (`strict=True` vertelt je welke).
# - In productie: safetensors (alleen tensors) + een JSON-config, strikt laden, en een duidelijke fout als iets niet
#   past.

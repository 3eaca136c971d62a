# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 4 — Een checkpoint waarmee je training exact hervat, bit voor bit bewezen
#
# > **Oefenvraag.** Beschrijf wat er wordt opgeslagen in een checkpoint waarmee je training exact kunt hervatten
# > (noem velden en types).
#
# **Leerdoelen.** Na dit notebook kun je
# 1. met `torch.equal` bewijzen dat een onderbroken en hervatte training exact dezelfde gewichten geeft als een
#    training zonder onderbreking, ook als het hervatten in een nieuw proces gebeurt;
# 2. per veld van een checkpoint (model, optimizer, scheduler, epoch/step, de vier random-generatoren, GradScaler)
#    laten zien wat er misgaat als het ontbreekt, en het type van elk veld noemen;
# 3. uitleggen waarom `torch.load` sinds torch 2.6 een naïef checkpoint weigert (`weights_only=True`), en dat netjes
#    oplossen zonder `weights_only=False`;
# 4. een checkpoint **atomair** wegschrijven, zodat een crash halverwege het laatste goede checkpoint niet sloopt.
#
# **Tijd:** ongeveer 45 minuten. Alles draait op de CPU, zonder downloads.
#
# In de code gebruiken we vaste namen: `model`, `optimizer`, `scheduler`, `loader`, `X`/`y` en `num_epochs`.
# Een *checkpoint* is een bestand met alles wat je nodig hebt om een training later voort te zetten; een *state dict*
# is de `dict` met tensors en getallen die `model.state_dict()` (en ook `optimizer.state_dict()`) teruggeeft.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner en de demo's met een apart
# Python-proces vallen weg.

# %% nbgrader={"grade_id": "setup", "locked": true}
import builtins
import contextlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch._dynamo  # noqa: F401 (torch.optim imports it on the first optimizer: pay it here)
from torch import nn

from mlinfra import HEAVY, seed_everything
from mlinfra.grading import quiet
from mlinfra.plots import set_style
from mlinfra.resume import flat_parameters, load_data, make_run, numpy_rng_safe_globals, resume, snapshot, train

set_style()
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")
workdir = Path(tempfile.mkdtemp(prefix="q04-"))  # every file of this notebook goes here

X, y = load_data(n=256 if HEAVY else 128)  # 8 (or 4) batches of 32 per epoch
num_epochs = 6 if HEAVY else 4
print(f"X: {tuple(X.shape)} {X.dtype}, y: {tuple(y.shape)} {y.dtype}, klassen: {y.unique().tolist()}")
print(f"num_epochs = {num_epochs}, HEAVY = {HEAVY}, tijdelijke map: {workdir}")

# %% [markdown]
# ## De trainingsrun die we onderbreken
#
# De hulpmodule `mlinfra.resume` bouwt een kleine, maar in één opzicht realistische training: **elke bron van
# toeval en elke vorm van toestand** die een echte training heeft, zit erin.
#
# | onderdeel | toestand die verandert tijdens het trainen |
# |---|---|
# | `model = mlp(8, 32, 4, dropout=0.3)` | de gewichten; Dropout trekt maskers uit de **globale torch-RNG** |
# | `optimizer = Adam(lr=1e-2)` | per parameter de lopende gemiddelden `exp_avg`, `exp_avg_sq` en een stapteller |
# | `scheduler = StepLR(step_size=2, gamma=0.5)` | hoeveel epochs er geweest zijn, dus de huidige learning rate |
# | `loader = DataLoader(..., shuffle=True, generator=g)` | de eigen `torch.Generator` `g` die elke epoch de volgorde trekt |
# | `augment(X_batch)` | gooit een munt met Python's `random` en trekt ruis uit **NumPy** (zoals veel augmentatiebibliotheken) |
# | optioneel: `GradScaler` bij mixed precision (AMP) | de huidige loss-schaal en een groeiteller |
#
# De trainingslus zelf is gewoon:
# ```python
# for epoch in range(start_epoch, num_epochs):
#     for X_batch, y_batch in loader:
#         optimizer.zero_grad()
#         loss = loss_fn(model(augment(X_batch)), y_batch)
#         loss.backward()
#         optimizer.step()
#     scheduler.step()
# ```
# We trainen eerst `num_epochs` epochs zonder onderbreking: dat is de referentie.

# %%
def fresh_start(amp: bool = False):
    """Seed Python, NumPy and torch once, then build every object: the start of the reference run."""
    seed_everything(0)
    return make_run(X, y, seed=0, amp=amp)


def uninterrupted(num_epochs: int, amp: bool = False):
    """The reference: one run from scratch to ``num_epochs`` without interruption."""
    run = fresh_start(amp)
    train(run, 0, num_epochs)
    return run


start = time.perf_counter()
reference = flat_parameters(uninterrupted(num_epochs).model)
print(f"referentierun: {num_epochs} epochs, {reference.numel()} parameters, "
      f"{time.perf_counter() - start:.2f} s (inclusief de eenmalige import van de optimizer-code)")

# %% [markdown]
# ## Demo 1 — Wat zit er in een volledig checkpoint, en van welk type?
#
# We trainen de helft van de epochs en nemen dan een momentopname van alle toestand: precies wat een checkpoint
# moet bevatten. Hieronder elk veld met zijn type en grootte.

# %%
def describe(value) -> str:
    """Type and size of one checkpoint field, in one line."""
    if isinstance(value, torch.Tensor):
        return f"torch.Tensor dtype={value.dtype} shape={tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"numpy.ndarray dtype={value.dtype} shape={value.shape}"
    if isinstance(value, tuple):
        return "tuple(" + ", ".join(describe(v) if not isinstance(v, tuple) else f"tuple[{len(v)}]"
                                    for v in value) + ")"
    if isinstance(value, dict):
        return f"{type(value).__name__} met sleutels {list(value)[:4]}{' …' if len(value) > 4 else ''}"
    return f"{type(value).__name__} = {value!r}"


half_run = fresh_start()
train(half_run, 0, num_epochs // 2)
snap = snapshot(half_run, epoch=num_epochs // 2)
for key, value in snap.items():
    if key == "rng":
        for name, state in value.items():
            print(f"rng.{name:<10} {describe(state)}")
    else:
        print(f"{key:<14} {describe(value)}")
print(f"\noptimizer['state'][0]: {describe(snap['optimizer']['state'][0])}")

# %% [markdown]
# **Conclusie:** een checkpoint voor exact hervatten bevat drie `state_dict`s (model: een `OrderedDict` van naam naar
# tensor; optimizer: `dict` met `state` per parameter en `param_groups`; scheduler: `dict`), twee `int`s (`epoch`,
# `step`) en vier RNG-toestanden van vier verschillende types: Python `random` een `tuple` van `int`s, NumPy een
# `tuple` met een `numpy.ndarray` (`uint32`, 624 getallen), torch en de `torch.Generator` van de DataLoader elk een
# `uint8`-tensor. Met AMP komt daar de `GradScaler`-`dict` bij (hier `None`). Traint je model op een GPU, dan hoort
# ook `torch.cuda.get_rng_state_all()` erbij (één `uint8`-tensor per GPU); dat kunnen we op deze CPU niet tonen.

# %% [markdown]
# ## Demo 2 — Hervatten in een nieuw proces: bit voor bit gelijk
#
# Het echte werk: dit notebook heeft de eerste helft getraind (demo 1) en schrijft het checkpoint weg. Dan start een
# **nieuw Python-proces** (`python -m mlinfra.resume`, zie de broncode van die module): het bouwt alles opnieuw op
# (andere startgewichten, andere RNG-toestand), laadt het checkpoint, traint de tweede helft en schrijft zijn
# gewichten weg. Hoe het laden van de NumPy-toestand met `weights_only=True` lukt, zie je in demo 4.
# Bij het nakijken (`HEAVY = False`) slaan we het nieuwe proces over (het kost seconden aan `import torch`) en
# hervatten we in dit proces, nadat alle RNG's door elkaar zijn gegooid.

# %%
fresh_dir = workdir / "fresh-process"
fresh_dir.mkdir()
torch.save(snap, fresh_dir / "checkpoint.pt")
if HEAVY:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mlinfra.resume", str(fresh_dir), "--epochs", str(num_epochs)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"het nieuwe proces faalde:\n{proc.stderr[-2000:]}")
    print(f"{proc.stdout.strip()} (dit notebook: pid {os.getpid()}; {time.perf_counter() - start:.1f} s)")
    resumed = torch.load(fresh_dir / "parameters.pt", weights_only=True)
else:
    resumed = flat_parameters(resume(X, y, snap, num_epochs).model)
print(f"torch.equal(onderbroken + hervat, zonder onderbreking): {torch.equal(resumed, reference)}")
print(f"grootste verschil in een parameter: {(resumed - reference).abs().max().item():.3g}")

# %% [markdown]
# **Conclusie:** de run die na de helft stopte en in een nieuw proces verderging, eindigt met exact dezelfde
# gewichten (`torch.equal` is `True`, grootste verschil 0) als de run zonder onderbreking. Dat lukt alleen omdat
# het checkpoint álle velden van demo 1 bevat, en omdat beide processen dezelfde rekenkernels kiezen (hier één thread
# op dezelfde CPU; op een andere machine of met een ander aantal threads is bitgelijkheid niet gegarandeerd).

# %% [markdown]
# ## Demo 3 — Laat één veld weg: wat gaat er mis?
#
# Nu hervatten we steeds vanuit hetzelfde checkpoint, maar laten we telkens **één** veld weg. Het ontbrekende veld
# behoudt dan de waarde die een vers opgebouwd object heeft (nieuwe Adam-toestand, scheduler bij epoch 0, epoch 0,
# een RNG met een andere toestand). We meten het grootste absolute verschil in een parameter ten opzichte van de run
# zonder onderbreking, en of `torch.equal` nog geldt.
#
# Drie scenario's:
# - **einde epoch**: het checkpoint van demo 2;
# - **midden in een epoch**: opgeslagen na 3 batches van een epoch; hervatten vraagt dan ook `step` en de toestand
#   van de shuffle-generator **aan het begin van die epoch** (zie demo 6);
# - **AMP**: dezelfde training met float16-autocast en een `GradScaler` (op de CPU), om de scaler te testen.
#
# Eén extra rij test de **volgorde**: de RNG-toestanden herstellen en pas daarna model en loader opbouwen.

# %%
def max_diff(run) -> float:
    return (flat_parameters(run.model) - reference_of[run.scaler is not None]).abs().max().item()


reference_of = {False: reference}
rows = []  # (scenario, left out, max |diff|, torch.equal)
for skip in [(), ("model",), ("optimizer",), ("scheduler",), ("epoch",), ("rng.python",), ("rng.numpy",),
             ("rng.torch",), ("rng.generator",)]:
    d = max_diff(resume(X, y, snap, num_epochs, skip=skip))
    rows.append(("einde epoch", ", ".join(skip) or "niets (volledig)", d, d == 0.0))
d = max_diff(resume(X, y, snap, num_epochs, rng_first=True))
rows.append(("einde epoch", "volgorde: RNG vóór opbouwen", d, d == 0.0))

mid_run = fresh_start()
train(mid_run, 0, num_epochs // 2 + 1, stop_step=3)  # epoch num_epochs // 2, after 3 of its batches
snap_mid = snapshot(mid_run, epoch=num_epochs // 2, step=3, mid_epoch=True)
snap_mid_now = snapshot(mid_run, epoch=num_epochs // 2, step=3, mid_epoch=False)
for label, state, skip in [("niets (volledig)", snap_mid, ()), ("step", snap_mid, ("step",)),
                           ("generator van nu i.p.v. begin epoch", snap_mid_now, ())]:
    d = max_diff(resume(X, y, state, num_epochs, skip=skip))
    rows.append(("midden in epoch", label, d, d == 0.0))

amp_epochs = num_epochs if HEAVY else 2
reference_of[True] = flat_parameters(uninterrupted(amp_epochs, amp=True).model)
amp_run = fresh_start(amp=True)
train(amp_run, 0, amp_epochs // 2)
snap_amp = snapshot(amp_run, epoch=amp_epochs // 2)
for skip in [(), ("scaler",)]:
    d = max_diff(resume(X, y, snap_amp, amp_epochs, skip=skip, amp=True))
    rows.append(("AMP", ", ".join(skip) or "niets (volledig)", d, d == 0.0))

seed_everything(1)  # for scale: a whole run that differs from the start (other weights, other order, other noise)
other_run = make_run(X, y, seed=1)
train(other_run, 0, num_epochs)
other_seed_diff = max_diff(other_run)

print(f"{'scenario':<17}{'weggelaten':<38}{'max |Δ parameter|':>18}{'torch.equal':>13}")
for scenario, left_out, d, equal in rows:
    print(f"{scenario:<17}{left_out:<38}{d:>18.3g}{str(equal):>13}")
print(f"\nter vergelijking, een hele run met andere seeds: max |Δ parameter| = {other_seed_diff:.3g}")

# %%
fig, ax = plt.subplots(figsize=(9, 6))
labels = [f"{scenario}: {left_out}" for scenario, left_out, _, _ in rows]
diffs = [d for _, _, d, _ in rows]
ax.barh(range(len(rows)), diffs, color=["tab:green" if equal else "tab:red" for *_, equal in rows])
for i, (*_, d, equal) in enumerate(rows):
    ax.text(d + 0.01, i, "0: bitgelijk" if equal else f"{d:.2g}", va="center", fontsize=9)
ax.axvline(other_seed_diff, color="black", linestyle="--", label=f"hele run met andere seeds ({other_seed_diff:.2g})")
ax.set_yticks(range(len(rows)), labels)
ax.invert_yaxis()
ax.set_xlim(0, max(diffs + [other_seed_diff]) * 1.15)
ax.set_xlabel("grootste |verschil| in een parameter t.o.v. de run zonder onderbreking")
ax.set_title("Eén veld weggelaten uit het checkpoint")
ax.legend(loc="center right")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Conclusie:** alleen de drie volledige checkpoints (groen, verschil 0) geven `torch.equal`. Elk weggelaten veld
# geeft een verschil (rood, de waarden staan in de tabel): ook elk van de vier RNG-toestanden afzonderlijk, dus ook
# de generator van de DataLoader die het antwoordmodel niet noemt, en `step` midden in een epoch en de `GradScaler`
# bij AMP. Zonder model of optimizer is het verschil het grootst. Alle verschillen zijn kleiner dan dat met een run
# die vanaf het begin andere seeds had (de stippellijn): het model is niet kapot, maar de hervatte run is een
# **andere** run geworden. Die is niet te reproduceren, en wie twee experimenten vergelijkt, meet dit toeval mee.
# De volgorde telt ook: wie de RNG's herstelt vóór het opbouwen van model en loader, laat het model zijn
# startgewichten uit de herstelde torch-RNG trekken, zodat daarna elk Dropout-masker anders is.

# %% [markdown]
# ## Veelgemaakte misvatting — het antwoordmodel, punt voor punt
#
# > *Antwoordmodel:* "Checkpoint velden voor hervatten: `model.state_dict()` (dict), `optimizer.state_dict()` (dict),
# > `epoch` (int), `rng_states` (optioneel, dict van `random.getstate()`/`torch.get_rng_state()`), eventueel
# > scheduler state."
#
# | punt uit het antwoordmodel | oordeel | bewijs |
# |---|---|---|
# | `model.state_dict()` (dict) | **klopt** (een `OrderedDict` naam → tensor, inclusief buffers) | demo 1; rij "model" in demo 3 |
# | `optimizer.state_dict()` (dict) | **klopt** | rij "optimizer": zonder de Adam-toestand begint de optimizer koud en wijkt de run af |
# | `epoch` (int) | **klopt, maar onvolledig**: wie midden in een epoch opslaat, heeft ook `step` nodig | rijen "epoch" en "midden in epoch: step" |
# | `rng_states` **optioneel** | **fout**: zonder RNG-toestand is de hervatte run een andere run | rijen "rng.python", "rng.torch" |
# | RNG = `random` + `torch` | **onvolledig**: NumPy ontbreekt, en vooral de `torch.Generator` van de DataLoader (de volgorde van de batches) | rijen "rng.numpy", "rng.generator" |
# | **eventueel** scheduler state | **fout** zodra je een scheduler gebruikt: de learning rate springt terug | rij "scheduler" |
# | (niet genoemd) `GradScaler` bij AMP | **ontbreekt** | rij "AMP: scaler" |
# | (niet genoemd) hoe je het opslaat | **ontbreekt**: een naïef checkpoint laadt niet meer met de standaard `torch.load`, en een crash tijdens het schrijven sloopt het | demo 4 en 5 |

# %% [markdown]
# ## Demo 4 — `torch.load` weigert het naïeve checkpoint (en dat is goed)
#
# Sinds torch 2.6 is `weights_only=True` de standaard van `torch.load`. De unpickler laadt dan alleen tensors,
# `dict`s, `list`s, `tuple`s, getallen, strings en een korte lijst toegestane types: geen willekeurige Python-objecten.
# De NumPy-RNG-toestand bevat een `numpy.ndarray`, en die staat niet op de lijst.

# %%
naive_path = workdir / "naive.pt"
torch.save(snap, naive_path)
try:
    torch.load(naive_path)  # weights_only=True is the default since torch 2.6
except Exception as exc:
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln).strip() for ln in str(exc).splitlines() if ln.strip()]
    print(f"{type(exc).__name__}: {lines[0][:110]}")
    print("  ...")
    print(f"  {next(ln for ln in lines if 'Unsupported global' in ln)[:220]}")

# %% [markdown]
# De foutmelding biedt twee uitwegen; de eerste (`weights_only=False`) is **geen** oplossing. Waarom niet: een
# pickle-bestand mag bij het laden elke Python-functie aanroepen. Hieronder een "checkpoint" dat bij het laden
# code uitvoert (hier onschuldig: het zet een vlag).

# %%
class Payload:
    """Pickles into 'call exec(...) when loaded': what a malicious checkpoint does."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins.q04_demo_payload_ran = True",))


evil_path = workdir / "evil.pt"
torch.save({"model": Payload()}, evil_path)
for weights_only in (True, False):
    builtins.q04_demo_payload_ran = False
    try:
        torch.load(evil_path, weights_only=weights_only)
        outcome = "geladen"
    except Exception as exc:
        outcome = f"{type(exc).__name__}"
    print(f"weights_only={weights_only!s:<5}: {outcome:<16} code uitgevoerd: {builtins.q04_demo_payload_ran}")

# %% [markdown]
# **Conclusie:** met `weights_only=False` voert het laden van een bestand code uit die in het bestand staat; met
# `weights_only=True` weigert `torch.load` het bestand. Een checkpoint komt vaak van een gedeelde schijf, een
# bucket of een collega: laad het altijd met `weights_only=True` en maak je checkpoint zó dat dat lukt.
#
# Twee nette oplossingen:
# 1. **Omzetten** bij het opslaan: bewaar de NumPy-toestand als tensors en gewone getallen, en zet hem bij het
#    laden terug. Dan laadt het bestand met de standaard `torch.load`, voor iedereen, zonder extra kennis.
# 2. **Expliciet toestaan**: `torch.serialization.safe_globals([...])` (of globaal `add_safe_globals`) met
#    precies de NumPy-functies en -types die nodig zijn. De module `mlinfra.resume` doet dat in demo 2.

# %%
np_state = snap["rng"]["numpy"]  # ('MT19937', ndarray uint32 (624,), pos, has_gauss, cached_gaussian)
converted = {**snap, "rng": {**snap["rng"], "numpy": {
    "key": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
    "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])}}}
converted_path = workdir / "converted.pt"
torch.save(converted, converted_path)
back = torch.load(converted_path)["rng"]["numpy"]
restored = ("MT19937", back["key"].numpy().astype(np.uint32), back["pos"], back["has_gauss"], back["cached_gaussian"])
print(f"1. omgezet:          laadt met weights_only=True; sleutel gelijk: {np.array_equal(restored[1], np_state[1])}")

with torch.serialization.safe_globals(numpy_rng_safe_globals()):
    allowed = torch.load(naive_path, weights_only=True)
print(f"2. toegestaan:       laadt met safe_globals {[g.__name__ for g in numpy_rng_safe_globals()]}")

# %% [markdown]
# **Conclusie:** beide oplossingen laden met `weights_only=True`. Let op het type bij omzetten: de sleutel is
# `uint32` (waarden tot ruim 4·10⁹); als `int64`-tensor blijft hij exact, als `float32` zou hij stilletjes worden
# afgerond (en NumPy accepteert dat zonder fout). In de oefening kies je de eerste oplossing: het bestand moet laden
# met de gewone `torch.load(path, weights_only=True)`, zonder allow-list, zodat wie het bestand later opent (een ander
# script, een collega, een evaluatiejob) niets over NumPy hoeft te weten.

# %% [markdown]
# ## Demo 5 — Schrijven kan halverwege misgaan: tijdelijk bestand + `os.replace`
#
# Een training die elke epoch over hetzelfde bestand `last.pt` heen schrijft, heeft een zwakke plek: als het proces
# halverwege het schrijven wordt gestopt (OOM-killer, een preemptible VM, Ctrl-C, een volle schijf), staat er een
# half bestand en is ook het vórige checkpoint weg. De remedie: schrijf naar een tijdelijk bestand **in dezelfde map**
# en vervang het doel met `os.replace`. Die hernoeming is op één bestandssysteem atomair: wie het pad daarna opent,
# ziet het oude bestand of het nieuwe, nooit een half.
#
# We laten een apart proces (puur Python, zonder torch, dus snel) een nieuw checkpoint schrijven en zichzelf
# halverwege met `SIGKILL` stoppen, eerst direct naar `last.pt`, dan via een tijdelijk bestand.

# %%
CHILD = '''
import os, signal, sys
payload, target, mode = sys.argv[1:4]
data = open(payload, "rb").read()
out = target + ".tmp" if mode == "atomic" else target
with open(out, "wb") as f:
    f.write(data[: len(data) // 2])
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # the process dies half-way through the write
    f.write(data[len(data) // 2:])
os.replace(out, target)
'''
(workdir / "child.py").write_text(CHILD)


def kill_during_save(mode: str) -> None:
    folder = workdir / f"kill-{mode}"
    folder.mkdir()
    torch.save({"epoch": 1, "model": half_run.model.state_dict()}, folder / "last.pt")  # the last good checkpoint
    buffer = io.BytesIO()
    torch.save({"epoch": 2, "model": half_run.model.state_dict()}, buffer)
    (workdir / "payload.bin").write_bytes(buffer.getvalue())
    proc = subprocess.run([sys.executable, str(workdir / "child.py"), str(workdir / "payload.bin"),
                           str(folder / "last.pt"), mode], capture_output=True, timeout=60)
    files = {p.name: p.stat().st_size for p in sorted(folder.iterdir())}
    try:
        state = f"laadt, epoch = {torch.load(folder / 'last.pt')['epoch']}"
    except Exception as exc:
        state = f"kapot: {type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
    print(f"{mode:<7} returncode {proc.returncode} (−9 = SIGKILL); bestanden {files}\n        last.pt {state}")


kill_during_save("direct")
kill_during_save("atomic")

# %% [markdown]
# **Conclusie:** direct schrijven laat na de kill een half `last.pt` achter dat niet meer laadt: ook epoch 1 is
# kwijt. Via het tijdelijke bestand laadt `last.pt` gewoon met epoch 1; alleen een half `last.pt.tmp` blijft liggen.
# Ruim zo'n restant op (bij een gewone uitzondering meteen, na een harde kill bij de volgende start), en zet het
# tijdelijke bestand in dezelfde map: `os.replace` tussen twee bestandssystemen (bijvoorbeeld van `/tmp` naar een
# gemounte schijf) is niet atomair of faalt.

# %% [markdown]
# ## Demo 6 — Productiegewoonten: de laatste k bewaren, en hervatten midden in een epoch
#
# **De laatste k bewaren.** Eén `last.pt` is kwetsbaar voor een checkpoint dat wel heel is, maar slecht (een
# loss-explosie, een bug in de data): bewaar er een paar, genummerd, en ruim de oudste op.

# %%
def save_rotating(folder: Path, epoch: int, state: dict, keep: int = 3) -> list[str]:
    """Write ``ckpt-epoch{epoch:03d}.pt`` atomically and delete all but the newest ``keep`` checkpoints."""
    target = folder / f"ckpt-epoch{epoch:03d}.pt"
    tmp = target.with_name(target.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, target)
    checkpoints = sorted(folder.glob("ckpt-epoch*.pt"))  # zero-padded numbers sort in epoch order
    for old in checkpoints[:-keep]:
        old.unlink()
    return [p.name for p in checkpoints[-keep:]]


rotating = workdir / "rotating"
rotating.mkdir()
for epoch in range(1, 7):
    kept = save_rotating(rotating, epoch, {"epoch": epoch})
print(f"na 6 epochs met keep=3: {kept}")

# %% [markdown]
# **Hervatten midden in een epoch.** Bij lange epochs sla je elke zoveel stappen op. Om dan exact verder te gaan,
# moet de hervatte run dezelfde volgorde van batches zien en de eerste `step` batches overslaan. De volgorde van een
# epoch wordt getrokken op het moment dat `iter(loader)` begint; daarom moet je de toestand van de shuffle-generator
# van **dat** moment bewaren, niet die van het moment van opslaan. De rijen "midden in epoch" van demo 3 laten het
# zien (het checkpoint is genomen na 3 batches):

# %%
for scenario, left_out, d, equal in rows:
    if scenario == "midden in epoch":
        print(f"{left_out:<38} max |Δ| = {d:.3g}, torch.equal = {equal}")

# %% [markdown]
# **Conclusie:** met `step` en de generator-toestand van het begin van de epoch is ook een checkpoint midden in een
# epoch bitgelijk; zonder `step` of met de generator-toestand van het moment van opslaan niet. Het overslaan kost
# wel tijd: de sampler en (bij een `DataLoader` met workers) het laden van die batches gebeuren opnieuw. En het
# overslaan mag de globale RNG's niet raken: hier gebeurt de augmentatie in de trainingslus, dus overgeslagen
# batches trekken geen toeval. Zit het toeval in de `Dataset` zelf, dan is een sampler die bij `step` begint nodig.

# %% [markdown]
# ## Oefeningen
#
# ### Oefening 1 — `save_checkpoint` en `load_checkpoint` (7 punten)
#
# Schrijf twee functies die samen een training exact laten hervatten.
#
# **`save_checkpoint(path, *, model, optimizer, scheduler, epoch, step, generator, scaler=None)`** schrijft één
# bestand met `torch.save`. Het bestand is een `dict` met deze sleutels (een extra sleutel, zoals een
# versienummer, mag erbij; de tests kijken alleen naar deze):
#
# | sleutel | inhoud |
# |---|---|
# | `"model"`, `"optimizer"`, `"scheduler"` | de `state_dict()` van elk (niet de objecten zelf) |
# | `"epoch"`, `"step"` | de meegegeven `int`s |
# | `"rng"` | een `dict` met `"python"`, `"numpy"`, `"torch"` en `"generator"`: de toestand van `random`, van `np.random`, van de globale torch-RNG en van `generator` (de `torch.Generator` van de DataLoader) |
# | `"scaler"` | `scaler.state_dict()`, of `None` als er geen scaler is |
#
# `path` mag een `str` of een `pathlib.Path` zijn. Regels:
# 1. Het bestand laadt met de gewone `torch.load(path, weights_only=True)`, **zonder** allow-list (zie demo 4). Zet
#    de NumPy-toestand dus om naar tensors en gewone getallen, zonder precisie te verliezen en zonder iets weg te
#    laten: alles wat `np.random.get_state()` teruggeeft, komt bij het laden terug.
# 2. Atomair: schrijf naar een tijdelijk bestand in **dezelfde map** als `path` en zet het op zijn plaats met
#    `os.replace` (of `Path.replace`). Mislukt het schrijven, dan blijft een bestaand bestand op `path` onaangeroerd,
#    wordt het tijdelijke bestand opgeruimd en komt de fout gewoon naar buiten (niet inslikken).
# 3. `epoch` en `step` moeten gehele getallen ≥ 0 zijn (geen `bool`, geen `float`); anders een `ValueError` met een
#    Nederlandse melding, en er wordt niets geschreven.
# 4. Opslaan verandert niets: na `save_checkpoint` zijn model (ook `model.training`), optimizer, scheduler, scaler
#    en de vier RNG-toestanden precies zoals ervoor. Een training die elke epoch opslaat, loopt dus precies zo verder
#    als een training die nooit opslaat.
#
# **`load_checkpoint(path, *, model, optimizer, scheduler, generator, scaler=None) -> dict`** zet alles terug:
# model, optimizer, scheduler, de vier RNG-toestanden en (als je een `scaler` meegeeft) de scaler, en geeft
# `{"epoch": ..., "step": ...}` terug, precies zoals ze zijn opgeslagen (als `int`s; ook een `step` midden in een
# epoch). Regels:
# 5. Laad met `weights_only=True`: een bestand met andere Python-objecten (een heel `nn.Module`, of erger) moet een
#    fout geven en mag geen code uitvoeren.
# 6. Ontbreekt er een sleutel (ook een van de vier onder `"rng"`), is het bestand geen `dict`, of geef je een
#    `scaler` mee terwijl `"scaler"` `None` is: gooi een `ValueError` met een Nederlandse melding die zegt wélk veld
#    ontbreekt (bijvoorbeeld `numpy`; een opsomming van alle velden die er horen te zijn zegt dat niet), en verander
#    **niets**: model, optimizer, scheduler, scaler en de vier RNG-toestanden blijven zoals ze waren. Controleer dus
#    eerst alles en herstel daarna.
#
# De aanroeper bouwt eerst alle objecten (model, optimizer, scheduler, generator, loader) en roept dan
# `load_checkpoint` aan: zo overschrijft niets de herstelde RNG-toestanden nog (de rij "volgorde" van demo 3).

# %% nbgrader={"grade_id": "checkpoint_format", "locked": true}
CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "epoch", "step", "rng", "scaler")  # the top-level keys
RNG_KEYS = ("python", "numpy", "torch", "generator")  # the keys inside checkpoint["rng"]

# %% [markdown]
# De vergrendelde cel hieronder maakt kleine trainingsruns voor de tests (`save_run` roept jouw `save_checkpoint`
# aan, `run_resumed` ook jouw `load_checkpoint`). Je hoeft er niets aan te doen; je functies komen in de cel daarna.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
from mlinfra.grading import assert_dutch

X_small, y_small = load_data(n=96)


def scramble_rngs(seed: int) -> None:
    """Put Python, NumPy and torch's global RNG in some other state."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def small_run(seed: int, amp: bool = False, sgd: bool = False):
    """A fresh small run (6 batches per epoch); optionally SGD with momentum and a cosine schedule."""
    run = make_run(X_small, y_small, seed=seed, amp=amp, batch_size=16)
    if sgd:
        run.optimizer = torch.optim.SGD(run.model.parameters(), lr=0.05, momentum=0.9)
        run.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(run.optimizer, T_max=5)
    return run


def objects(run) -> dict:
    return dict(model=run.model, optimizer=run.optimizer, scheduler=run.scheduler, generator=run.generator,
                scaler=run.scaler)


def save_run(run, path, epoch: int, step: int = 0) -> None:
    save_checkpoint(path, epoch=epoch, step=step, **objects(run))


def run_uninterrupted(num_epochs: int, **kw) -> torch.Tensor:
    scramble_rngs(0)
    run = small_run(0, **kw)
    train(run, 0, num_epochs)
    return flat_parameters(run.model)


def run_resumed(folder: Path, save_at: int, num_epochs: int, copy_to: str | None = None, **kw):
    """Train to ``save_at``, save, scramble every RNG, rebuild from another seed, load, train to the end."""
    scramble_rngs(0)
    run = small_run(0, **kw)
    train(run, 0, save_at)
    path = folder / "checkpoint.pt"
    save_run(run, path, epoch=save_at)
    if copy_to is not None:  # load from another path than the one that was saved
        path = Path(shutil.copy(path, folder / copy_to))
    del run
    scramble_rngs(99)
    run = small_run(7, **kw)
    info = load_checkpoint(path, **objects(run))
    train(run, info["epoch"], num_epochs)
    return flat_parameters(run.model), info, run


def state_of(run) -> list[torch.Tensor]:
    """Model parameters and optimizer state as a list of tensors (to check that nothing changed)."""
    tensors = [p.detach().clone() for p in run.model.parameters()]
    for s in run.optimizer.state_dict()["state"].values():
        tensors += [v.clone() for v in s.values() if isinstance(v, torch.Tensor)]
    return tensors


def same_state(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(u, v) for u, v in zip(a, b))


def rng_states(generator: torch.Generator) -> tuple:
    """The four RNG states: Python's random, NumPy, torch's global RNG and ``generator``."""
    return random.getstate(), np.random.get_state(), torch.get_rng_state(), generator.get_state()


def same_rng(a: tuple, b: tuple) -> bool:
    (py_a, np_a, torch_a, gen_a), (py_b, np_b, torch_b, gen_b) = a, b
    return (py_a == py_b and np_a[0] == np_b[0] and np.array_equal(np_a[1], np_b[1]) and np_a[2:] == np_b[2:]
            and torch.equal(torch_a, torch_b) and torch.equal(gen_a, gen_b))


def everything(run) -> tuple:
    """All state a save (or a refused load) must leave alone: tensors, learning rates, scheduler, scaler, mode, RNGs."""
    return (state_of(run), run.optimizer.state_dict()["param_groups"], run.scheduler.state_dict(),
            run.scaler.state_dict() if run.scaler is not None else None, run.model.training,
            rng_states(run.generator))


def unchanged(a: tuple, b: tuple) -> bool:
    return same_state(a[0], b[0]) and a[1:5] == b[1:5] and same_rng(a[5], b[5])


class Payload:
    """Pickles into a call of exec(...) when loaded: a file a safe loader must refuse."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins.q04_payload_ran = True",))


@contextlib.contextmanager
def failing(module, name: str, replacement):
    """Temporarily replace ``module.name`` (restored afterwards, also on failure)."""
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def half_write_then_crash(obj, f, *args, **kwargs):
    """A torch.save that writes half a file and then fails, like a full disk or a killed process."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(b"PK\x03\x04 half a checkpoint")
    else:
        f.write(b"PK\x03\x04 half a checkpoint")
    raise OSError("schijf vol (gesimuleerd)")


def without(path: Path, key: str, out: Path) -> Path:
    """A copy of the checkpoint at ``path`` without ``key`` ("rng.numpy" removes a key inside "rng")."""
    checkpoint = torch.load(path, weights_only=False)  # the test's own file: the test may trust it
    if "." in key:
        outer, inner = key.split(".")
        checkpoint[outer].pop(inner, None)
    else:
        checkpoint.pop(key, None)
    torch.save(checkpoint, out)
    return out


# %% nbgrader={"grade_id": "checkpoint", "solution": true}
def save_checkpoint(path, *, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler, epoch: int, step: int,
                    generator: torch.Generator, scaler=None) -> None:
    """Atomically write everything needed to resume training exactly; the file loads with weights_only=True."""
    ### BEGIN SOLUTION
    for name, value in (("epoch", epoch), ("step", step)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} moet een geheel getal >= 0 zijn, niet {value!r}")
    name, key, pos, has_gauss, cached_gaussian = np.random.get_state()
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": epoch,
        "step": step,
        "rng": {
            "python": random.getstate(),
            "numpy": {"name": name, "key": torch.from_numpy(key.astype(np.int64)), "pos": int(pos),
                      "has_gauss": int(has_gauss), "cached_gaussian": float(cached_gaussian)},
            "torch": torch.get_rng_state(),
            "generator": generator.get_state(),
        },
        "scaler": scaler.state_dict() if scaler is not None else None,
    }
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    ### END SOLUTION


def load_checkpoint(path, *, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler,
                    generator: torch.Generator, scaler=None) -> dict:
    """Restore every piece of state saved by save_checkpoint; return {"epoch": ..., "step": ...}."""
    ### BEGIN SOLUTION
    checkpoint = torch.load(path, weights_only=True)
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{path} bevat geen checkpoint-dict maar een {type(checkpoint).__name__}")
    missing = [k for k in CHECKPOINT_KEYS if k not in checkpoint]
    if "rng" in checkpoint:
        if not isinstance(checkpoint["rng"], dict):
            raise ValueError("het veld 'rng' moet een dict met RNG-toestanden zijn")
        missing += [f"rng.{k}" for k in RNG_KEYS if k not in checkpoint["rng"]]
    if missing:
        raise ValueError(f"het checkpoint {path} mist de velden: {', '.join(missing)}")
    if scaler is not None and checkpoint["scaler"] is None:
        raise ValueError("je gaf een scaler mee, maar het checkpoint heeft geen scaler-toestand (veld 'scaler')")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    if scaler is not None:
        scaler.load_state_dict(checkpoint["scaler"])
    rng = checkpoint["rng"]
    generator.set_state(rng["generator"])
    random.setstate(rng["python"])
    np_state = rng["numpy"]
    np.random.set_state((np_state["name"], np_state["key"].numpy().astype(np.uint32), np_state["pos"],
                         np_state["has_gauss"], np_state["cached_gaussian"]))
    torch.set_rng_state(rng["torch"])
    return {"epoch": checkpoint["epoch"], "step": checkpoint["step"]}
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_checkpoint_resume_bitwise", "grade": true, "points": 2}
"""Checks that a resumed training ends bitwise equal to an uninterrupted one, and that saving changes nothing."""
with quiet():
    with tempfile.TemporaryDirectory() as tmp:
        expected = run_uninterrupted(4)
        got, info, _ = run_resumed(Path(tmp), save_at=2, num_epochs=4)
        assert info == {"epoch": 2, "step": 0}, (
            f"load_checkpoint gaf {info!r} terug; verwacht werd epoch en step zoals ze zijn opgeslagen.")
        assert torch.equal(got, expected), (
            f"De hervatte training eindigt met andere gewichten (grootste verschil "
            f"{(got - expected).abs().max().item():.3g}). Tip: zie de tabel van demo 3: welk veld mis je, welk veld "
            "zet je niet (of niet exact) terug?")
    ### BEGIN HIDDEN TESTS
    with tempfile.TemporaryDirectory() as tmp:
        # SGD with momentum and a cosine schedule, loaded from a copy of the file.
        expected = run_uninterrupted(5, sgd=True)
        got, info, _ = run_resumed(Path(tmp), save_at=3, num_epochs=5, copy_to="copy.pt", sgd=True)
        assert info == {"epoch": 3, "step": 0}, f"load_checkpoint gaf {info!r} terug"
        assert torch.equal(got, expected), "hervatten met SGD + momentum en CosineAnnealingLR is niet bitgelijk"
    with tempfile.TemporaryDirectory() as tmp:
        # Mixed precision with a GradScaler; the scaler's state is needed for the skipped steps.
        expected = run_uninterrupted(4, amp=True)
        got, info, run = run_resumed(Path(tmp), save_at=2, num_epochs=4, amp=True)
        assert torch.equal(got, expected), "hervatten met AMP en GradScaler is niet bitgelijk"
    with tempfile.TemporaryDirectory() as tmp:
        # Saving every epoch (to a str path) changes nothing: the run goes on as one that never saves.
        expected = run_uninterrupted(3)
        scramble_rngs(0)
        run = small_run(0)
        last = os.path.join(tmp, "last.pt")
        for epoch in range(3):
            train(run, epoch, epoch + 1)
            before = everything(run)
            try:
                save_checkpoint(last, epoch=epoch + 1, step=0, **objects(run))
            except Exception as exc:
                raise AssertionError(f"save_checkpoint met een str als path faalde ({type(exc).__name__})") from None
            after = everything(run)
            assert after[4] == before[4], "save_checkpoint zette model.training om"
            assert same_rng(after[5], before[5]), (
                "save_checkpoint veranderde een RNG-toestand (trekt of zaait het iets na het vastleggen?)")
            assert unchanged(after, before), "save_checkpoint veranderde model, optimizer of scheduler"
        assert torch.equal(flat_parameters(run.model), expected), (
            "een training die elke epoch opslaat, loopt anders verder dan een training die nooit opslaat")
        # A mid-epoch step, and every stream goes on where it was (NumPy after an odd number of normal draws).
        np.random.normal()
        random.gauss(0.0, 1.0)
        save_checkpoint(last, epoch=3, step=4, **objects(run))

        def draws(generator):
            return random.random(), np.random.normal(size=3), torch.rand(3), torch.rand(3, generator=generator)

        expected_draws = draws(run.generator)
        scramble_rngs(5)
        other = small_run(8)
        try:
            info = load_checkpoint(last, **objects(other))
        except Exception as exc:
            raise AssertionError(f"load_checkpoint met een str als path faalde ({type(exc).__name__})") from None
        assert info == {"epoch": 3, "step": 4} and all(type(v) is int for v in info.values()), (
            f"load_checkpoint gaf {info!r} terug; verwacht werden epoch en step als int, zoals ze zijn opgeslagen")
        got_draws = draws(other.generator)
        for name, want, got in zip(["Python's random", "NumPy", "de torch-RNG", "de generator"], expected_draws,
                                   got_draws):
            assert np.array_equal(np.asarray(want), np.asarray(got)), (
                f"na het laden trekt {name} andere getallen dan na het opslaan (komt de hele toestand terug?)")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_checkpoint_loads_weights_only", "grade": true, "points": 1}
"""Checks that the checkpoint file loads with torch.load(weights_only=True) and holds the prescribed fields."""
with quiet():
    with tempfile.TemporaryDirectory() as tmp:
        scramble_rngs(1)
        run = small_run(1)
        train(run, 0, 1)
        path = Path(tmp) / "checkpoint.pt"
        save_run(run, path, epoch=1, step=5)
        try:
            checkpoint = torch.load(path, weights_only=True)
        except Exception as exc:
            raise AssertionError(
                f"torch.load(path, weights_only=True) weigert het bestand ({type(exc).__name__}). Tip: demo 4; welke "
                "types laat de veilige unpickler toe, en staat er een numpy-array of een heel object in?") from None
        assert isinstance(checkpoint, dict) and set(CHECKPOINT_KEYS) <= set(checkpoint), (
            f"Het bestand moet een dict zijn met de sleutels {CHECKPOINT_KEYS}.")
        assert checkpoint["epoch"] == 1 and checkpoint["step"] == 5, "epoch of step is niet goed opgeslagen."
        assert all(isinstance(v, torch.Tensor) for v in checkpoint["model"].values()), (
            "Onder 'model' hoort de state dict (naam → tensor).")
    ### BEGIN HIDDEN TESTS
    with tempfile.TemporaryDirectory() as tmp:
        scramble_rngs(2)
        run = small_run(2, amp=True)
        train(run, 0, 1)
        path = Path(tmp) / "checkpoint.pt"
        save_run(run, path, epoch=1)
        checkpoint = torch.load(path, weights_only=True)
        assert isinstance(checkpoint["rng"], dict) and set(RNG_KEYS) <= set(checkpoint["rng"]), (
            f"onder 'rng' horen de sleutels {RNG_KEYS}")
        assert isinstance(checkpoint["scaler"], dict), "met een scaler hoort onder 'scaler' zijn state dict"
        assert type(checkpoint["epoch"]) is int and type(checkpoint["step"]) is int, (
            "onder 'epoch' en 'step' horen gewone ints")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_checkpoint_refuses_pickles", "grade": true, "points": 1}
"""Checks that load_checkpoint refuses a file with arbitrary Python objects instead of running their code."""
with quiet():
    with tempfile.TemporaryDirectory() as tmp:
        run = small_run(3)
        path = Path(tmp) / "evil.pt"
        torch.save({"model": Payload()}, path)
        builtins.q04_payload_ran = False
        try:
            load_checkpoint(path, **objects(run))
        except Exception:
            refused = True
        else:
            refused = False
        assert not builtins.q04_payload_ran, (
            "Bij het laden werd code uit het bestand uitgevoerd. Tip: demo 4, en kijk naar weights_only.")
        assert refused, "load_checkpoint gaf geen fout voor een bestand dat geen checkpoint van tensors is."
    ### BEGIN HIDDEN TESTS
    with tempfile.TemporaryDirectory() as tmp:
        # A checkpoint with the whole model object pickled in it must be refused as well.
        run = small_run(4)
        save_run(run, Path(tmp) / "good.pt", epoch=0)
        checkpoint = torch.load(Path(tmp) / "good.pt", weights_only=False)
        checkpoint["model"] = run.model
        torch.save(checkpoint, Path(tmp) / "whole.pt")
        try:
            load_checkpoint(Path(tmp) / "whole.pt", **objects(small_run(5)))
        except Exception:
            pass
        else:
            raise AssertionError("een checkpoint met een heel nn.Module erin werd geladen")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_save_checkpoint_is_atomic", "grade": true, "points": 1}
"""Checks that a save that fails half-way leaves the previous checkpoint intact."""
with quiet():
    with tempfile.TemporaryDirectory() as tmp:
        run = small_run(6)
        path = Path(tmp) / "last.pt"
        save_run(run, path, epoch=1)
        good = path.read_bytes()
        with failing(torch, "save", half_write_then_crash), \
                failing(torch.serialization, "save", half_write_then_crash):
            try:
                save_run(run, path, epoch=2)
            except Exception:
                pass
            else:
                raise AssertionError("save_checkpoint slikte een fout bij het schrijven in; laat die naar buiten.")
        assert path.exists() and path.read_bytes() == good, (
            "Na een mislukte save is het vorige checkpoint kapot of weg. Tip: demo 5.")
    ### BEGIN HIDDEN TESTS
        assert sorted(os.listdir(tmp)) == ["last.pt"], (
            f"na een mislukte save bleven er bestanden liggen: {sorted(os.listdir(tmp))}")
    with tempfile.TemporaryDirectory() as tmp:
        # The final rename fails: the old file must survive, and the temporary file must be cleaned up.
        run = small_run(7)
        path = Path(tmp) / "last.pt"
        save_run(run, path, epoch=1)
        good = path.read_bytes()

        def refuse(*args, **kwargs):
            raise OSError("hernoemen mislukt (gesimuleerd)")

        with failing(os, "replace", refuse), failing(os, "rename", refuse):
            try:
                save_run(run, path, epoch=2)
            except Exception:
                pass
            else:
                raise AssertionError("een mislukte os.replace werd ingeslikt of omzeild")
        assert path.exists() and path.read_bytes() == good, "een mislukte hernoeming sloopte het oude bestand"
        assert sorted(os.listdir(tmp)) == ["last.pt"], "het tijdelijke bestand werd niet opgeruimd"
        # The temporary file lives next to the target and os.replace puts it in place.
        real_replace, calls = os.replace, []

        def recording_replace(src, dst, *args, **kwargs):
            calls.append((Path(src), Path(dst)))
            return real_replace(src, dst, *args, **kwargs)

        with failing(os, "replace", recording_replace):
            save_run(run, path, epoch=3)
        assert any(dst.resolve() == path.resolve() and src.resolve().parent == path.resolve().parent
                   for src, dst in calls), f"geen os.replace van een tijdelijk bestand in dezelfde map: {calls}"
        assert torch.load(path, weights_only=False)["epoch"] == 3, "na een geslaagde save staat de nieuwe epoch er niet"
        assert sorted(os.listdir(tmp)) == ["last.pt"], f"na een geslaagde save: {sorted(os.listdir(tmp))}"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_load_checkpoint_reports_missing_field", "grade": true, "points": 1}
"""Checks that load_checkpoint raises a ValueError naming a missing field, without changing anything."""
with quiet():
    with tempfile.TemporaryDirectory() as tmp:
        run = small_run(8)
        train(run, 0, 1)
        save_run(run, Path(tmp) / "full.pt", epoch=1)
        target = small_run(9)
        try:
            load_checkpoint(without(Path(tmp) / "full.pt", "scheduler", Path(tmp) / "cut.pt"), **objects(target))
        except ValueError as exc:
            assert "scheduler" in str(exc), f"De ValueError noemt het ontbrekende veld niet: {exc}"
            assert_dutch(exc, "een checkpoint zonder 'scheduler'")
        else:
            raise AssertionError("Een checkpoint zonder 'scheduler' gaf geen ValueError. Tip: een checkpoint waar een "
                                 "veld in ontbreekt, hervat stilletjes een andere training.")
    ### BEGIN HIDDEN TESTS
        target = small_run(9)
        train(target, 0, 1)
        before = everything(target)
        messages = {}
        for key in ["model", "optimizer", "epoch", "step", "rng", "scaler", "rng.python", "rng.numpy", "rng.torch",
                    "rng.generator"]:
            try:
                load_checkpoint(without(Path(tmp) / "full.pt", key, Path(tmp) / "cut.pt"), **objects(target))
            except ValueError as exc:
                assert key.split(".")[-1] in str(exc), f"de ValueError noemt '{key}' niet: {exc}"
                assert_dutch(exc, f"een checkpoint zonder '{key}'")
                messages[key] = str(exc)
            else:
                raise AssertionError(f"een checkpoint zonder '{key}' gaf geen ValueError")
            assert unchanged(everything(target), before), (
                f"load_checkpoint veranderde model, optimizer, scheduler of een RNG-toestand voordat het "
                f"ontbrekende '{key}' werd gemeld")
        assert len(set(messages.values())) == len(messages), (
            f"verschillende ontbrekende velden geven dezelfde melding ({next(iter(messages.values()))!r}): zeg "
            "welk veld er ontbreekt")
        # A scaler is given but the checkpoint has none.
        amp_target = small_run(10, amp=True)
        before = everything(amp_target)
        try:
            load_checkpoint(Path(tmp) / "full.pt", **objects(amp_target))
        except ValueError as exc:
            assert "scaler" in str(exc), f"de ValueError noemt 'scaler' niet: {exc}"
            assert_dutch(exc, "een scaler bij een checkpoint zonder scaler")
        else:
            raise AssertionError("een scaler meegeven bij een checkpoint zonder scaler gaf geen ValueError")
        assert unchanged(everything(amp_target), before), (
            "load_checkpoint veranderde al iets voordat het de ontbrekende scaler meldde")
        # Not a dict at all.
        torch.save([1, 2, 3], Path(tmp) / "list.pt")
        try:
            load_checkpoint(Path(tmp) / "list.pt", **objects(small_run(11)))
        except ValueError as exc:
            assert_dutch(exc, "een bestand met een lijst")
        else:
            raise AssertionError("een bestand met een lijst in plaats van een dict gaf geen ValueError")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_save_checkpoint_rejects_bad_input", "grade": true, "points": 1}
"""Checks that save_checkpoint raises a ValueError for a negative epoch and writes nothing."""
with quiet():
    with tempfile.TemporaryDirectory() as tmp:
        run = small_run(12)
        try:
            save_run(run, Path(tmp) / "bad.pt", epoch=-1)
        except ValueError as exc:
            assert_dutch(exc, "epoch=-1")
        else:
            raise AssertionError("epoch=-1 gaf geen ValueError. Tip: een checkpoint met een onmogelijke epoch "
                                 "hervat op een onmogelijke plek.")
        assert os.listdir(tmp) == [], f"Bij een ongeldige epoch werd er toch iets geschreven: {os.listdir(tmp)}"
    ### BEGIN HIDDEN TESTS
        for epoch, step in [(True, 0), (1.0, 0), ("3", 0), (2, -1), (2, 2.5), (2, None)]:
            try:
                save_run(run, Path(tmp) / "bad.pt", epoch=epoch, step=step)
            except ValueError as exc:
                assert_dutch(exc, f"epoch={epoch!r}, step={step!r}")
            else:
                raise AssertionError(f"epoch={epoch!r}, step={step!r} gaf geen ValueError")
            assert os.listdir(tmp) == [], f"epoch={epoch!r}, step={step!r}: er werd toch iets geschreven"
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Beantwoord de oorspronkelijke vraag: wat sla je op in een checkpoint waarmee je een training exact kunt hervatten?
# Noem de velden met hun types, en zeg bij elk veld in één zin wat er misgaat als het ontbreekt. Noem ook twee
# eisen aan **hoe** je het bestand schrijft en laadt.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Leertoestand:* `model.state_dict()` (`OrderedDict` naam → tensor, incl. buffers), `optimizer.state_dict()`
#    (`dict`: `state` per parameter, bv. momentum of Adam's `exp_avg`/`exp_avg_sq`/`step`, en `param_groups`),
#    `scheduler.state_dict()` (`dict`), `GradScaler.state_dict()` bij AMP (`dict` met `scale`, groeiteller).
#    Zonder optimizer- of schedulertoestand begint de optimizer koud of springt de learning rate terug.
# 2. *Positie:* `epoch` en `step` (`int`); midden in een epoch ook de toestand van de shuffle-generator van het begin
#    van die epoch, zodat dezelfde volgorde terugkomt en de al gedane batches worden overgeslagen.
# 3. *Toeval:* Python `random.getstate()` (`tuple`), `np.random.get_state()` (`tuple` met `ndarray` `uint32`),
#    `torch.get_rng_state()` (`uint8`-tensor), de `torch.Generator` van de DataLoader/sampler (`get_state()`,
#    `uint8`-tensor), en op GPU `torch.cuda.get_rng_state_all()`. Zonder een ervan worden Dropout-maskers,
#    augmentatie of batchvolgorde anders: de run is niet meer bitgelijk. De RNG's herstel je ná het opbouwen van alle
#    objecten.
# 4. *Schrijven en laden:* laden met `weights_only=True` (standaard sinds torch 2.6; `False` kan code uitvoeren), dus
#    NumPy-toestand omzetten of expliciet toestaan met `safe_globals`; atomair schrijven via een tijdelijk bestand in
#    dezelfde map + `os.replace`; bij voorkeur de laatste k bewaren; bij het laden ontbrekende velden melden.
#
# Puntentoekenning: 1 punt voor 1 + 2 (met types), 1 punt voor 3 (minstens NumPy én de DataLoader-generator),
# 1 punt voor 4 (twee eisen, met reden).
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - Exact hervatten vraagt **alle** toestand: model, optimizer, scheduler, (GradScaler), `epoch`/`step`, en vier
#   RNG-toestanden: `random`, NumPy, torch en de `torch.Generator` van de DataLoader. Bewijs het met `torch.equal`.
# - Het antwoordmodel noemt de RNG's "optioneel" en mist NumPy en de DataLoader-generator: elk weglaten maakt de run
#   een andere run (demo 3).
# - `torch.load` laadt sinds torch 2.6 met `weights_only=True`: zet de NumPy-toestand om (of sta hem expliciet toe),
#   en gebruik nooit `weights_only=False` voor een bestand dat je niet zelf net hebt geschreven.
# - Schrijf atomair (tijdelijk bestand in dezelfde map + `os.replace`), bewaar de laatste k, en herstel de RNG's na
#   het opbouwen van model en loader.

# %%
shutil.rmtree(workdir, ignore_errors=True)  # the checkpoints of this notebook
print(f"tijdelijke map {workdir.name} opgeruimd")

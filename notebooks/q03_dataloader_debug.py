# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 3 — Een `DataLoader` debuggen die soms verkeerde labels geeft
#
# > **Oefenvraag.** Geef de stappen en redenatie om een `DataLoader` te debuggen die af en toe verkeerde labels
# > retourneert.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. vier echte oorzaken van "soms verkeerde labels" herkennen: bestandsvolgorde van `os.listdir`, een
#    klassen-mapping uit een `set`, een augmentatie die het label verandert, en toestand die elke worker kopieert;
# 2. een vaste debugvolgorde toepassen (kijken, uitlijning controleren, reproduceren, `num_workers` vergelijken,
#    vaste voorbeelden vastpinnen, één batch overfitten) en zeggen welke stap welke bug vindt;
# 3. een `Dataset` schrijven waarvan de labels kloppen bij shuffelen, met workers en in elk Python-proces.
#
# **Tijd:** ongeveer 60 minuten: 25 minuten lezen en de demo's draaien, 35 minuten voor de oefeningen (10 punten) en
# het schriftelijke antwoord. Alles draait op de CPU, zonder downloads.
#
# In de code gebruiken we vaste namen: `model`, `optimizer`, `loss_fn`, `loader`, `X`/`y`, `lr`, `batch_size` en
# `num_epochs`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner of overgeslagen.
#
# De data: **1.797 handgeschreven cijfers** van 8×8 pixels (de UCI-set *Optical Recognition of Handwritten Digits*,
# licentie CC BY 4.0), meegeleverd met de cursus als een map met PNG-bestanden plus een `labels.csv` — zoals je data in
# het echt vaak krijgt. `DigitsDataset` uit `mlinfra.data` is een schone, geteste `Dataset` voor deze map; we gebruiken
# hem als **referentie**.

# %% nbgrader={"grade_id": "setup", "locked": true}
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from mlinfra import HEAVY, seed_everything
from mlinfra.data import DigitsDataset, digits_root
from mlinfra.grading import quiet
from mlinfra.plots import set_style

set_style()
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")

root = digits_root()
reference = DigitsDataset()
image, label = reference[0]
print(f"map: {root.name}/ met {len(os.listdir(root / 'images'))} bestanden in images/ en labels.csv")
print(f"reference: {len(reference)} voorbeelden; reference[0] = (image {tuple(image.shape)} {image.dtype}, "
      f"label {label!r} ({type(label).__name__}))")
print(f"HEAVY = {HEAVY}")

# %% [markdown]
# Zo ziet de map eruit: een kop `filename,label` en één rij per afbeelding. Eerst de eerste 20 cijfers uit de
# referentie, met hun label erboven.

# %%
print("".join((root / "labels.csv").read_text().splitlines(keepends=True)[:4]), end="")


def show_grid(images, labels, title, truth=None, ncols=16):
    """Images in one mosaic with their label above each; a label that differs from ``truth`` is red."""
    nrows = (len(images) + ncols - 1) // ncols
    mosaic = torch.zeros(nrows * 12, ncols * 10)
    for k, image in enumerate(images):
        r, c = divmod(k, ncols)
        mosaic[r * 12 + 3:r * 12 + 11, c * 10 + 1:c * 10 + 9] = image[0]
    fig, ax = plt.subplots(figsize=(ncols * 0.55, nrows * 0.7 + 0.4))
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
    for k, label in enumerate(labels):
        r, c = divmod(k, ncols)
        wrong = truth is not None and int(label) != int(truth[k])
        ax.text(c * 10 + 4.5, r * 12 + 1.6, str(int(label)), ha="center", va="center", fontsize=10,
                color="red" if wrong else "black", fontweight="bold" if wrong else "normal")
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    plt.show()


show_grid([reference[i][0] for i in range(20)], [reference[i][1] for i in range(20)],
          "reference: de eerste 20 cijfers met hun label", ncols=10)

# %% [markdown]
# **Conclusie:** in de referentie staat boven elk cijfer het juiste label; zo hoort een batch eruit te zien.

# %% [markdown]
# ## De verdachte: `BrokenDigits`
#
# Een collega schreef de `Dataset` hieronder. Hij draait zonder foutmelding, de shapes en dtypes kloppen, en het model
# leert er zelfs iets van. Toch krijg je "soms verkeerde labels". Er zitten **vier** echte bugs in die je in
# productiecode tegenkomt; lees de code eerst zelf en probeer ze te vinden voordat je verder leest.
#
# De cel bevat alleen definities: `read_digit` (lees één PNG zoals `DigitsDataset` dat doet) en de klasse. Ze is
# vergrendeld, omdat een test van de oefeningen haar opnieuw uitvoert.

# %% nbgrader={"grade_id": "broken_digits", "locked": true}
def read_digit(path: Path) -> torch.Tensor:
    """One PNG as a float32 tensor of shape (1, H, W) in [0, 1], decoded exactly like DigitsDataset."""
    from PIL import Image

    with Image.open(path) as pil_image:
        pixels = torch.from_numpy(np.array(pil_image.convert("L"), dtype=np.uint8))
    return pixels.unsqueeze(0).to(torch.float32).mul_(1.0 / 255)  # = torchvision v2 ToDtype(float32, scale=True)


class BrokenDigits(Dataset):
    """A colleague's dataset for the digits folder: runs fine, shapes and dtypes are right."""

    def __init__(self, root=None, augment=True):
        self.root = Path(root) if root is not None else digits_root()
        self.files = [name for name in os.listdir(self.root / "images") if name.endswith(".png")]
        with open(self.root / "labels.csv", newline="") as f:
            self.label_names = [row["label"] for row in csv.DictReader(f)]
        self.augment = augment
        self.rng = np.random.default_rng(0)  # reproducible augmentation
        self.class_to_idx = None  # built on first use, so that creating the dataset stays fast

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        if self.class_to_idx is None:
            self.class_to_idx = {name: i for i, name in enumerate(set(self.label_names))}
        image = read_digit(self.root / "images" / self.files[index])
        if self.augment and self.rng.random() < 0.5:
            image = torch.rot90(image, 2, dims=(1, 2))  # rotation augmentation, as in the cats-vs-dogs project
        return image, self.class_to_idx[self.label_names[index]]

# %% [markdown]
# ## Stap 1 — Kijk naar een batch (beelden + labels)
#
# De eerste stap is de goedkoopste: haal een batch uit de loader en **kijk**. Bij cijfers zie je meteen of het label
# klopt. We tekenen 32 voorbeelden uit een geshuffelde loader; een label dat niet past bij het bestand dat je ziet,
# staat in het rood (de waarheid halen we uit de referentie, via de bestandsnaam).

# %%
broken = BrokenDigits()
truth_of_file = dict(zip(reference.filenames, reference.labels))
image_of_file = {name: i for i, name in enumerate(reference.filenames)}

seed_everything(0)
order = torch.randperm(len(broken), generator=torch.Generator().manual_seed(0))[:32].tolist()
images, labels, truth, rotated = [], [], [], 0
for i in order:
    image, label = broken[i]
    images.append(image)
    labels.append(label)
    truth.append(truth_of_file[broken.files[i]])
    rotated += not torch.equal(image, reference[image_of_file[broken.files[i]]][0])
show_grid(images, labels, "BrokenDigits: 32 voorbeelden (rood = label hoort niet bij dit bestand)", truth=truth)
wrong = sum(a != b for a, b in zip(labels, truth))
print(f"labels die niet bij het getoonde bestand horen: {wrong}/32;  op z'n kop gezette beelden: {rotated}/32")

# %% [markdown]
# **Conclusie:** het grootste deel van de labels (zie het aantal hierboven) hoort niet bij het beeld, en een flink
# deel van de beelden staat op z'n kop (de augmentatie draait elk beeld met kans ½). Kijken vertelt je *dat* er iets mis is, niet *waar*. Let op: hoeveel labels
# fout zijn hangt af van je schijf en van het Python-proces — waarom, zie je in stap 2.

# %% [markdown]
# ## Stap 2 — Controleer de uitlijning bestand ↔ label en het parsen van het label
#
# Een `Dataset` koppelt twee lijsten: bestanden en labels. We zetten voor de eerste vijf indices naast elkaar welk
# bestand `BrokenDigits` leest en welke rij van `labels.csv` hij als label gebruikt.

# %%
with open(root / "labels.csv", newline="") as f:
    csv_rows = list(csv.DictReader(f))
print(f"{'index':>5}  {'bestand (os.listdir)':>20}  {'rij in labels.csv':>18}  {'label-tekst':>11}")
for i in range(5):
    print(f"{i:>5}  {broken.files[i]:>20}  {csv_rows[i]['filename']:>18}  {broken.label_names[i]:>11}")
listing = os.listdir(root / "images")
print(f"\nos.listdir gesorteerd? {listing == sorted(listing)}  (eerste vijf: {listing[:5]})")
aligned = sum(name == row["filename"] for name, row in zip(broken.files, csv_rows))
print(f"bestand en CSV-rij horen bij elkaar voor {aligned} van de {len(csv_rows)} indices")

# %% [markdown]
# **Bug 1 — `os.listdir` zonder koppeling.** `os.listdir` geeft de bestanden in de volgorde van het bestandssysteem,
# niet op naam. Op ext4 (de gangbare Linux-schijf, ook op Binder) is dat een hash-volgorde die per schijf verschilt;
# op een ander bestandssysteem kan hij toevallig gesorteerd zijn, en dan werkt dezelfde code daar wél. De CSV is gesorteerd op naam. Index `i`
# koppelt dus bestand *x* aan het label van bestand *y* — zie het aantal gekoppelde indices hierboven.
#
# Nu het parsen: het label staat als tekst in de CSV (`"7"`), en `BrokenDigits` maakt er een klasse-index van.

# %%
_ = broken[0]  # the mapping is built on first use
print("class_to_idx in dit proces:", broken.class_to_idx)
print("is het label gelijk aan het cijfer?", all(int(name) == idx for name, idx in broken.class_to_idx.items()))

# %% [markdown]
# **Bug 2 — een klassen-mapping uit een `set`.** `set(self.label_names)` heeft geen vaste volgorde: de hash van een
# string wordt bij elke start van Python opnieuw gerandomiseerd (`PYTHONHASHSEED`). In dít proces is de mapping
# een vaste permutatie, dus het model leert gewoon — maar een ander proces (een nieuwe kernel, de inferentieserver,
# een worker die met `spawn` start) maakt een andere permutatie. Het bewijs: we bouwen dezelfde mapping in vier
# verse Python-processen. Het eerste krijgt geen `PYTHONHASHSEED`, net als jouw kernel; de andere drie een vaste.

# %%
mapping_code = ("import csv, random; random.seed(0); "
                "names = [r['label'] for r in csv.DictReader(open(r'%s', newline=''))]; "
                "print({n: i for i, n in enumerate(set(names))})" % (root / "labels.csv"))
for hashseed in (None, "1", "2", "3"):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    if hashseed is not None:
        env["PYTHONHASHSEED"] = hashseed
    out = subprocess.run([sys.executable, "-c", mapping_code], env=env, capture_output=True, text=True, check=True)
    print(f"PYTHONHASHSEED={str(hashseed):<5} {out.stdout.strip()}")

# %% [markdown]
# **Conclusie:** vier processen, vier verschillende mappings — ook al geeft elk proces `random` dezelfde vaste
# startwaarde (0). Een vaste startwaarde voor `random`, `numpy` of `torch` raakt de hash-volgorde van strings niet.
# Sorteer de klassenamen (`sorted(set(...))`), of gebruik een vaste lijst.

# %% [markdown]
# ## Stap 3 — Maak het reproduceerbaar: vaste startwaarden en de `generator` van de loader
#
# Een bug die "af en toe" optreedt, debug je pas als hij elke keer optreedt. Geef de loader een eigen `generator`
# met een vaste startwaarde: dan is de volgorde van de voorbeelden vast, en kun je een fout label terugvoeren naar een
# index.

# %%
def first_labels(dataset, seed, n=12):
    loader = DataLoader(dataset, batch_size=n, shuffle=True, generator=torch.Generator().manual_seed(seed))
    return next(iter(loader))[1].tolist()


clean = DigitsDataset()
print(f"seed 0, run 1: {first_labels(clean, seed=0)}")
print(f"seed 0, run 2: {first_labels(clean, seed=0)}")
print(f"seed 1:        {first_labels(clean, seed=1)}")
augmented = BrokenDigits()
same = [torch.equal(augmented[i][0], augmented[i][0]) for i in range(200)]
print(f"BrokenDigits geeft voor dezelfde index twee keer hetzelfde beeld: {sum(same)}/200 keer")

# %% [markdown]
# **Conclusie:** met dezelfde startwaarde voor de `generator` komt dezelfde volgorde terug, met een andere startwaarde
# een andere. De augmentatie van `BrokenDigits` trekt bij elke aanroep opnieuw (zie het aantal hierboven): dezelfde
# index geeft niet altijd hetzelfde beeld. Dat is de bedoeling van augmentatie — maar dan moet het label bij élk
# getrokken beeld kloppen.
#
# **Bug 3 — een augmentatie die het label verandert.** Een rotatie over 180° is prima voor katten en honden, maar van
# een 6 maakt hij een 9 (en een 9 wordt een 6). Het label blijft staan. Kijk naar de zessen en negens:

# %%
sixes = [i for i, lab in enumerate(reference.labels) if lab in (6, 9)][:8]
pairs = [reference[i][0] for i in sixes] + [torch.rot90(reference[i][0], 2, dims=(1, 2)) for i in sixes]
show_grid(pairs, [reference.labels[i] for i in sixes] * 2,
          "boven: origineel, onder: 180° gedraaid — het label blijft hetzelfde", ncols=8)

# %% [markdown]
# **Conclusie:** onder een gedraaide 6 staat nog steeds "6", maar je ziet een 9. Een augmentatie mag alleen
# veranderen wat het label niet verandert: een verschuiving van een pixel, wat ruis. Stap 1 (kijken) vindt deze bug;
# een test op labels alleen vindt hem niet, want het label zelf is niet veranderd.

# %% [markdown]
# ## Stap 4 — Vergelijk `num_workers=0` met `num_workers=2`
#
# Met `num_workers > 0` draait `__getitem__` in aparte processen. Elke worker krijgt een **kopie** van het
# dataset-object, inclusief alles wat `__init__` aanmaakte. Hieronder tellen we per batch welke voorbeelden de
# augmentatie draaide, met 0 en met 2 workers (batch 0, 2, 4 komen uit worker 0; batch 1, 3, 5 uit worker 1).

# %%
def rotation_pattern(num_workers, num_batches=4, batch_size=8):
    """For the first batches of an unshuffled loader: which positions BrokenDigits rotated (as a 0/1 string)."""
    dataset = BrokenDigits()
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers)
    patterns = []
    for b, (X, _) in zip(range(num_batches), loader):
        names = dataset.files[b * batch_size:(b + 1) * batch_size]
        plain = torch.stack([reference[image_of_file[name]][0] for name in names])
        patterns.append("".join("0" if torch.equal(x, p) else "1" for x, p in zip(X, plain)))
    return patterns


for num_workers in (0, 2) if HEAVY else (0,):  # worker processes cost time: only num_workers=0 while grading
    print(f"num_workers={num_workers}: gedraaid per batch {rotation_pattern(num_workers)}")

# %% [markdown]
# **Bug 4 — toestand die elke worker kopieert.** Met `num_workers=2` draaien batch 0 en batch 1 precies dezelfde
# posities, en batch 2 en 3 ook: beide workers kregen een kopie van `self.rng = np.random.default_rng(0)` in dezelfde
# toestand. Met twee workers is je augmentatie dus half zo gevarieerd als je denkt (met acht workers: een achtste).
# De `DataLoader` zaait per worker de RNG's van `random`, `numpy` (de globale) en `torch` opnieuw
# (`base_seed + worker_id`); een RNG-object dat je zelf in `__init__` maakt, zaait hij niet. Gebruik
# `torch.randint`/`torch.rand` (of maak je RNG per worker aan), dan is de augmentatie per worker anders én
# reproduceerbaar via de `generator` van de loader.
#
# Dat laatste kun je zelf nagaan: elk voorbeeld hieronder trekt één getal uit elke RNG, in twee workers.

# %%
class WhichRandom(Dataset):
    """Each sample: the worker id and one draw from torch, numpy (global), random, and an RNG made in __init__."""

    def __init__(self):
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return 4

    def __getitem__(self, index):
        import random

        worker = torch.utils.data.get_worker_info()
        return (worker.id if worker else -1, round(torch.rand(1).item(), 4), round(float(np.random.rand()), 4),
                round(random.random(), 4), round(float(self.rng.random()), 4))


print(f"{'index':>5} {'worker':>6} {'torch.rand':>10} {'np.random':>10} {'random':>8} {'self.rng':>9}")
loader = DataLoader(WhichRandom(), batch_size=None, num_workers=2 if HEAVY else 0,
                    generator=torch.Generator().manual_seed(0))
for index, row in enumerate(loader):
    print(f"{index:>5} " + " ".join(f"{float(v):>{w}}" if k else f"{int(v):>{w}}"
                                  for k, (v, w) in enumerate(zip(row, (6, 10, 10, 8, 9)))))

# %% [markdown]
# **Conclusie:** index 0 en 1 komen uit verschillende workers en krijgen verschillende getallen van `torch`, `numpy` en
# `random`, maar exact hetzelfde getal uit `self.rng`; index 2 en 3 ook.
#
# Hetzelfde geldt voor de lui gebouwde `class_to_idx`. Op Linux starten workers met `fork` (tot Python 3.13): ze
# erven de hash-randomisatie van de kernel en bouwen toevallig dezelfde mapping. Op macOS en Windows starten ze met
# `spawn` (en vanaf Python 3.14 op Linux met `forkserver`): elke worker is een vers proces, met een eigen
# hash-volgorde en dus een **eigen** mapping. Dan wisselen de labels per batch, afhankelijk van welke worker hem
# maakte — de klassieke "soms verkeerde labels". Dat laten we hieronder echt zien met `spawn`. Een klasse die je in
# een notebook definieert, kan een gespawnde worker niet importeren; daarom schrijven we de cel van `BrokenDigits`
# eerst naar een modulebestand. Dit kost een paar seconden (elke worker importeert `torch` opnieuw) en draait niet
# tijdens het nakijken.

# %% nbgrader={"grade_id": "fresh_process_tools", "locked": true}
import linecache


def cell_source(obj) -> str:
    """The full source of the notebook cell in which ``obj`` (a function or class with methods) was defined."""
    functions = [obj] if callable(obj) and hasattr(obj, "__code__") else [
        v for v in vars(obj).values() if hasattr(v, "__code__")]
    if not functions:
        raise ValueError(f"geen functie of methode gevonden in {obj!r}")
    return "".join(linecache.getlines(functions[0].__code__.co_filename))


PREAMBLE = """\
import csv, os, sys
from pathlib import Path
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
from mlinfra.data import DigitsDataset, digits_root
"""


def per_batch_mapping(loader, dataset, num_batches):
    """For each of the first batches: the label each digit '0'..'9' got, as a string of ten indices."""
    rows = []
    for b, (_, y) in zip(range(num_batches), loader):
        names = dataset.label_names[b * loader.batch_size:(b + 1) * loader.batch_size]
        seen = dict(zip(names, y.tolist()))
        rows.append("".join(str(seen.get(str(d), "·")) for d in range(10)))
    return rows

# %%
if HEAVY:
    module_dir = tempfile.mkdtemp(prefix="q03-")
    Path(module_dir, "broken_digits_module.py").write_text(PREAMBLE + cell_source(BrokenDigits))
    sys.path.insert(0, module_dir)
    import broken_digits_module

    spawned = broken_digits_module.BrokenDigits(augment=False)
    for context in ("fork", "spawn"):
        loader = DataLoader(spawned, batch_size=100, shuffle=False, num_workers=2, multiprocessing_context=context)
        rows = per_batch_mapping(loader, spawned, num_batches=6)
        print(f"{context:>5}: label van cijfer 0..9 per batch: {rows}")
    sys.path.remove(module_dir)
    shutil.rmtree(module_dir, ignore_errors=True)
else:
    print("(overgeslagen tijdens het nakijken)")

# %% [markdown]
# **Conclusie:** met `fork` geven alle batches dezelfde mapping (de tien cijfers achter elkaar); met `spawn`
# wisselen batch 0, 2, 4 (worker 0) en batch 1, 3, 5 (worker 1) van mapping: hetzelfde cijfer krijgt per batch een
# ander label. Met `num_workers=0` gebeurt dat nooit — vergelijk dus altijd 0 workers met meer workers, en test onder
# de start-methode die je productiemachine gebruikt.

# %% [markdown]
# ### Zijweg: een *bus error* in een worker
#
# Workers sturen hun batches via gedeeld geheugen (`/dev/shm`) naar het hoofdproces. In Docker en op Binder is
# `/dev/shm` vaak klein (Docker: standaard 64 MB). Past een batch er niet meer in, dan krijgt de worker van de kernel
# het signaal `SIGBUS` en sterft. Zo ziet dat eruit — we sturen de worker dat signaal zelf, om de echte `/dev/shm`
# van deze machine niet vol te schrijven:

# %%
shm = shutil.disk_usage("/dev/shm") if os.path.isdir("/dev/shm") else None
print(f"/dev/shm op deze machine: {shm.total / 2**20:.0f} MB" if shm else "/dev/shm bestaat hier niet")


class DiesWithBusError(Dataset):
    """Simulates a worker that runs out of shared memory: the kernel sends it SIGBUS."""

    def __len__(self):
        return 8

    def __getitem__(self, index):
        os.kill(os.getpid(), signal.SIGBUS)


if HEAVY:
    try:
        next(iter(DataLoader(DiesWithBusError(), batch_size=4, num_workers=1)))
    except RuntimeError as exc:
        print(f"{type(exc).__name__}: {exc}")
else:
    print("(overgeslagen tijdens het nakijken)")

# %% [markdown]
# **Conclusie:** de fout zegt dat een worker "unexpectedly" stierf (of "killed by signal: Bus error"); in de log van de
# kernel staat `ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory
# (shm)`. Wat helpt: `num_workers=0` (geen gedeeld geheugen nodig), kleinere batches, in Docker `--shm-size=1g` (of
# `--ipc=host`), of `torch.multiprocessing.set_sharing_strategy("file_system")`. Het is géén labelbug, maar wel de
# eerste fout die je ziet als je stap 4 op Binder draait.

# %% [markdown]
# ## Stap 5 — Pin een paar bekende voorbeelden vast in een kleine test
#
# Kies een paar voorbeelden waarvan je het label met eigen ogen hebt gecontroleerd (de eerste tien rijen van de CSV
# zijn de cijfers 0 tot en met 9, zie het begin) en zet ze vast in een test. Draai die test onder de omstandigheden
# waarin de bug optreedt: via een geshuffelde loader, met workers, en in een vers proces.

# %%
PINNED = {"0000.png": 0, "0001.png": 1, "0002.png": 2, "0003.png": 3, "0005.png": 5, "0006.png": 6, "0009.png": 9}


def check_pinned(dataset) -> list[str]:
    """Problems with the pinned samples: each must be the exact file image with its known label."""
    problems = []
    for name, digit in PINNED.items():
        i = [row["filename"] for row in csv_rows].index(name)  # sample i belongs to row i of labels.csv
        image, label = dataset[i]
        if label != digit:
            problems.append(f"{name}: label {label}, verwacht {digit}")
        if not torch.equal(image, read_digit(root / "images" / name)):
            problems.append(f"{name}: beeld hoort niet bij dit bestand (of is bewerkt)")
    return problems


for name, dataset in (("DigitsDataset", reference), ("BrokenDigits", BrokenDigits())):
    problems = check_pinned(dataset)
    print(f"{name:<14} {len(problems)} problemen{': ' + '; '.join(problems[:3]) if problems else ''}")

# %% [markdown]
# **Conclusie:** zeven vastgepinde voorbeelden zijn genoeg: de referentie heeft 0 problemen, `BrokenDigits` faalt op
# (bijna) allemaal. Zo'n test is goedkoop genoeg voor elke CI-run. In de oefeningen schrijf je het grote broertje:
# `find_mismatches`, die álle indices vergelijkt.

# %% [markdown]
# ## Stap 6 — Overfit één kleine batch
#
# De klassieke sanity check: kan het model één batch van 32 voorbeelden uit het hoofd leren? Zo niet, dan zit de fout
# in het model, de loss of de trainingslus. We proberen het met een batch uit de referentie en een uit
# `BrokenDigits` (zonder augmentatie, zodat de batch vast is).

# %%
def overfit_one_batch(X, y, num_steps=150, lr=1e-2, seed=0):
    seed_everything(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
    return loss.item(), (model(X).argmax(1) == y).float().mean().item()


for name, dataset in (("DigitsDataset", reference), ("BrokenDigits", BrokenDigits(augment=False))):
    X, y = next(iter(DataLoader(dataset, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))))
    num_steps = 150 if HEAVY else 40
    loss, acc = overfit_one_batch(X, y, num_steps=num_steps)
    print(f"{name:<14} loss na {num_steps} stappen: {loss:.4f}, accuracy op de batch: {acc:.2f}")

# %% [markdown]
# Beide batches worden perfect geleerd. Overfitten bewijst dat model en lus werken, **niet** dat de labels kloppen:
# een netwerk leert ook willekeurige labels uit het hoofd. Het verschil zie je pas op data die het model niet zag. We
# trainen hetzelfde model op 1.500 voorbeelden uit beide datasets en meten de accuracy op de overige 297 met de
# **echte** labels.

# %%
def train_and_validate(dataset, num_epochs, n_train=1500, seed=0):
    g = seed_everything(seed)
    order = torch.randperm(len(reference), generator=torch.Generator().manual_seed(1)).tolist()
    train_idx, val_idx = order[:n_train], order[1500:]
    X_train = torch.stack([dataset[i][0] for i in train_idx])
    y_train = torch.tensor([dataset[i][1] for i in train_idx])
    X_val = torch.stack([reference[i][0] for i in val_idx])
    y_val = torch.tensor([reference.labels[i] for i in val_idx])
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for _ in range(num_epochs):
        for b in torch.randperm(len(train_idx), generator=g).split(64):
            optimizer.zero_grad()
            loss_fn(model(X_train[b]), y_train[b]).backward()
            optimizer.step()
        with torch.no_grad():
            history.append((model(X_val).argmax(1) == y_val).float().mean().item())
    return history


num_epochs = 15 if HEAVY else 2
n_train = 1500 if HEAVY else 200
curves = {"DigitsDataset": train_and_validate(reference, num_epochs, n_train),
          "BrokenDigits(augment=False)": train_and_validate(BrokenDigits(augment=False), num_epochs, n_train)}
fig, ax = plt.subplots()
for (name, accs), style in zip(curves.items(), ("-", "--")):
    ax.plot(range(1, num_epochs + 1), accs, style, marker="o", label=f"{name} (laatste: {accs[-1]:.2f})")
ax.axhline(0.1, color="gray", linestyle=":", label="gokken (0.10)")
ax.set_xlabel("epoch")
ax.set_ylabel("validatie-accuracy (echte labels)")
ax.set_ylim(0, 1.05)
ax.set_title("Dezelfde training, dezelfde beelden, andere labels")
ax.legend()
plt.show()
for name, accs in curves.items():
    print(f"{name:<28} validatie-accuracy na {num_epochs} epochs: {accs[-1]:.3f}")

# %% [markdown]
# **Conclusie:** met de referentie haalt het model een hoge validatie-accuracy; met de labels van `BrokenDigits` blijft
# het op of onder gokniveau (zie de getallen hierboven), terwijl dezelfde batch in stap 6 perfect overfitte. Een lage
# validatie-accuracy bij een perfect te overfitten batch wijst naar de data, niet naar het model.

# %% [markdown]
# ## Het antwoordmodel, punt voor punt
#
# > *Het antwoordmodel:* "Debug stappen voor dataloader met verkeerde labels: (a) visueel inspecteer een batch (images
# > + labels), (b) controleer CSV/indexing en label parsing, (c) bevestig consistent shuffling/[startwaarde],
# > (d) schrijf unit-test voor paar voorbeelden."
#
# 1. *(a) "visueel inspecteer een batch"* — **klopt**, en het is de goedkoopste stap: stap 1 toont de verkeerde
#    koppeling én de gedraaide beelden. Het vindt alleen wat je ziet: een fout in een paar procent van de labels
#    mis je in een grid van 32 beelden makkelijk.
# 2. *(b) "controleer CSV/indexing en label parsing"* — **klopt**: stap 2 vindt `os.listdir` (bug 1) en de
#    `set`-mapping (bug 2). **Onvolledig**: in één proces ziet de mapping er consistent uit; dat hij per proces
#    verschilt zie je pas als je hem in een ander proces opnieuw bouwt (vier processen, vier mappings).
# 3. *(c) "bevestig consistent shuffling/[startwaarde]"* — **onvolledig**. Een vaste `generator` maakt de bug
#    reproduceerbaar (stap 3), maar lost niets op: een vaste startwaarde voor `random` veranderde de `set`-volgorde
#    in geen van de vier processen. Wat ontbreekt is de vergelijking `num_workers=0` versus `num_workers=2`
#    (stap 4): alleen die vindt de gekopieerde RNG (bug 4) en de per-worker mapping onder `spawn`.
# 4. *(d) "schrijf unit-test voor paar voorbeelden"* — **klopt**, maar **onvolledig**: de test moet draaien onder de
#    omstandigheden waarin de bug optreedt (geshuffeld, met workers, in een vers proces met een andere
#    `PYTHONHASHSEED`) en ook het beeld controleren, niet alleen het label (stap 5).
# 5. *Wat ontbreekt:* de augmentatie controleren (bug 3: alleen te zien door te kijken, niet met een labeltest), één
#    batch overfitten als controle van model en lus, en het onderscheid dat die controle niet naar de labels kijkt
#    (stap 6: beide batches overfitten perfect, alleen de validatie-accuracy met echte labels verschilt).

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt kleine testmappen en hulpmiddelen voor de tests. Je hoeft er niets aan te
# doen, maar lees hem gerust: zo zien de tests jouw code.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
import random

from mlinfra.grading import assert_dutch


class ListDataset(Dataset):
    """A dataset from a list of (image, label) pairs; counts how often each index is read."""

    def __init__(self, labels, images=None, attribute_labels=None):
        self.items = [(images[i] if images is not None else torch.full((1, 8, 8), float(i % 7) / 7), lab)
                      for i, lab in enumerate(labels)]
        if attribute_labels is not None:
            self.labels = list(attribute_labels)
        self.reads = [0] * len(labels)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        self.reads[index] += 1
        return self.items[index]


def noise_digit(seed: int) -> np.ndarray:
    """An 8x8 uint8 image with ink in every row and column: each 1-pixel shift gives a different image."""
    return np.random.default_rng(seed).integers(40, 256, size=(8, 8), dtype=np.uint8)


def make_digits_folder(rows, images=None, stray=(), shuffle_seed=None) -> Path:
    """A temporary digits folder: ``images/`` plus ``labels.csv`` with ``rows`` [(filename, label), ...].

    ``images`` maps a filename to a uint8 array (default: copy the shipped file of the same name); ``stray`` names
    extra files put in ``images/`` that are not in the CSV; ``shuffle_seed`` shuffles the order of the CSV rows.
    """
    from PIL import Image

    folder = Path(tempfile.mkdtemp(prefix="q03-digits-"))
    (folder / "images").mkdir()
    rows = list(rows)
    for name, _ in rows:
        if images is not None and name in images:
            Image.fromarray(images[name]).save(folder / "images" / name)
        else:
            shutil.copy(root / "images" / name, folder / "images" / name)
    for k, name in enumerate(stray):
        shutil.copy(root / "images" / f"{k + 100:04d}.png", folder / "images" / name)
    if shuffle_seed is not None:
        rows = [rows[i] for i in np.random.default_rng(shuffle_seed).permutation(len(rows))]
    with open(folder / "labels.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([("filename", "label"), *rows])
    return folder


class Tagged(Dataset):
    """Wraps a dataset so that every sample also carries its index: (image, label, index)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        image, label = self.dataset[index]
        return image, label, index


def shifts_of(image: torch.Tensor) -> list[torch.Tensor]:
    """Every shift of ``image`` by -1, 0 or +1 pixel in x and y: zero-filled and wrapped around (torch.roll)."""
    out = []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out.append(torch.roll(image, shifts=(dy, dx), dims=(-2, -1)))
            padded = torch.nn.functional.pad(image, (1, 1, 1, 1))
            out.append(padded[..., 1 - dy:9 - dy, 1 - dx:9 - dx])
    return out


def run_in_fresh_process(cls, code: str, hashseed: str) -> str:
    """Run ``code`` in a new Python process with another PYTHONHASHSEED, after re-running the cell of BrokenDigits
    and the cell that defines ``cls``; returns what it printed."""
    with tempfile.TemporaryDirectory(prefix="q03-proc-") as tmp:
        script = Path(tmp, "check.py")
        script.write_text("\n\n".join([PREAMBLE, cell_source(BrokenDigits), cell_source(cls), code]))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "NBGRADER_EXECUTION")}
        env["PYTHONHASHSEED"] = hashseed
        proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"In een vers Python-proces faalde je klasse:\n{proc.stderr[-800:]}")
    return proc.stdout


ALL_DIGITS = [(f"{i:04d}.png", str(reference.labels[i])) for i in range(10)]  # 0000..0009 are the digits 0..9

def rng_streams_reset_by(action) -> list[str]:
    """The global RNGs (torch, numpy, random) that ``action()`` puts back in a fixed state: after two different
    starting seeds, the next number drawn from such an RNG is the same. Drawing from an RNG does not count."""
    draws = []
    for seed in (101, 202):
        seed_everything(seed)
        action()
        draws.append((torch.rand(()).item(), float(np.random.rand()), random.random()))
    return [name for name, a, b in zip(("torch", "numpy", "random"), *draws) if a == b]

# %% [markdown]
# ### Oefening 1 — `find_mismatches` (4 punten)
#
# Schrijf `find_mismatches(dataset, reference)`: de indices `i` waarvoor het label van `dataset[i]` verschilt van het
# label van `reference[i]`. Een voorbeeld is een paar `(image, label)`; je vergelijkt alleen de labels.
# - Vergelijk index voor index via `dataset[i]` en `reference[i]` — dus wat `__getitem__` echt teruggeeft (een attribuut
#   als `.labels` kan iets anders zeggen dan `__getitem__`) en niet de volgorde van een geshuffelde loader.
# - Een label kan een `int` zijn of een tensor met één getal (`torch.tensor(7)`); `7` en `torch.tensor(7)` zijn gelijk.
# - Geef een oplopende `list` van gewone Python-`int`s terug; een lege lijst als alles klopt.
# - Zijn de lengtes verschillend, gooi dan een `ValueError` met een Nederlandse melding (stil afkappen verbergt juist
#   het soort fout dat je zoekt). Dat geldt voor elk verschil in lengte, ook als een van beide maar één voorbeeld heeft.
# - Verander niets buiten de functie: zet geen globale startwaarden (`seed_everything`, `torch.manual_seed` of hun
#   tegenhangers in NumPy en `random`). Wie `find_mismatches` midden in een training aanroept, verwacht dat zijn
#   random-getallen gewoon doorlopen.

# %% nbgrader={"grade_id": "find_mismatches", "solution": true}
def find_mismatches(dataset, reference) -> list[int]:
    """Indices ``i`` where the label of ``dataset[i]`` differs from the label of ``reference[i]``."""
    ### BEGIN SOLUTION
    if len(dataset) != len(reference):
        raise ValueError(f"de datasets zijn niet even lang: {len(dataset)} tegenover {len(reference)} voorbeelden")
    mismatches = []
    for i in range(len(dataset)):
        if int(dataset[i][1]) != int(reference[i][1]):
            mismatches.append(i)
    return mismatches
    ### END SOLUTION

# %% [markdown]
# Zo gebruik je hem: hoeveel van de 1.797 labels van `BrokenDigits(augment=False)` kloppen niet?

# %%
mismatches = find_mismatches(BrokenDigits(augment=False), reference) if HEAVY else []
print(f"BrokenDigits: {len(mismatches)} van de {len(reference)} labels wijken af" if HEAVY else "(overgeslagen)")

# %% nbgrader={"grade_id": "test_find_mismatches_indices", "grade": true, "points": 1}
"""Checks that find_mismatches returns exactly the indices whose labels differ."""
with quiet():
    got = find_mismatches(ListDataset([0, 1, 2, 3, 4, 5]), ListDataset([0, 1, 9, 3, 4, 0]))
    assert list(got) == [2, 5], f"Verwacht de indices [2, 5], kreeg {got!r}. Tip: vergelijk dataset[i] met reference[i]."
    ### BEGIN HIDDEN TESTS
    labels = [i % 10 for i in range(50)]
    changed = [0, 7, 8, 31, 49]
    other = [(lab + 3) % 10 if i in changed else lab for i, lab in enumerate(labels)]
    assert list(find_mismatches(ListDataset(other), ListDataset(labels))) == changed, "niet alle indices gevonden"
    assert list(find_mismatches(ListDataset(labels), ListDataset(other))) == changed, (
        "met de datasets omgewisseld klopt de lijst niet meer: vergelijk je beide kanten op dezelfde manier?")
    tensors = ListDataset([torch.tensor(v) for v in other])
    assert list(find_mismatches(tensors, ListDataset(labels))) == changed, "tensor-labels en int-labels vergelijken"
    other_images = ListDataset(labels, images=[torch.rand(1, 8, 8) for _ in labels])
    assert list(find_mismatches(other_images, ListDataset(labels))) == [], "vergelijk alleen de labels"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_find_mismatches_returns_sorted_ints", "grade": true, "points": 1}
"""Checks that find_mismatches returns a list of Python ints, and an empty list when all labels agree."""
with quiet():
    got = find_mismatches(ListDataset([3, 1, 4]), ListDataset([3, 1, 5]))
    assert isinstance(got, list), f"find_mismatches gaf een {type(got).__name__} terug, verwacht een list."
    assert all(type(i) is int for i in got), "Geef gewone Python-ints terug, geen tensors of numpy-getallen."
    assert got == [2], f"Verwacht [2], kreeg {got!r}."
    same = find_mismatches(ListDataset([3, 1, 4]), ListDataset([3, 1, 4]))
    assert same == [], f"Als alle labels gelijk zijn verwacht je een lege lijst, niet {same!r}."
    ### BEGIN HIDDEN TESTS
    got = find_mismatches(ListDataset([torch.tensor(v) for v in (5, 5, 5, 5)]), ListDataset([5, 4, 5, 3]))
    assert got == [1, 3] and all(type(i) is int for i in got), "indices als oplopende lijst van ints"
    assert find_mismatches(ListDataset([]), ListDataset([])) == [], "twee lege datasets: lege lijst"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_find_mismatches_uses_getitem_in_order", "grade": true, "points": 1}
"""Checks that find_mismatches compares what __getitem__ returns, index by index, and resets no global RNG."""
with quiet():
    dataset = ListDataset([0, 1, 2, 3, 4, 5, 6, 7], attribute_labels=[0, 1, 2, 3, 4, 5, 6, 7])
    dataset.items[6] = (dataset.items[6][0], 9)  # __getitem__ now disagrees with .labels at index 6
    got = find_mismatches(dataset, ListDataset([0, 1, 2, 3, 4, 5, 6, 7], attribute_labels=range(8)))
    assert list(got) == [6], (f"Verwacht [6], kreeg {got!r}. Tip: .labels zegt wat de dataset zou moeten geven; "
                              "__getitem__ is wat de loader echt krijgt.")
    ### BEGIN HIDDEN TESTS
    seed_everything(3)
    labels = torch.randint(0, 10, (300,)).tolist()
    dataset, ref = ListDataset(labels), ListDataset(labels)
    assert list(find_mismatches(dataset, ref)) == [], (
        "identieke datasets geven afwijkingen: vergelijk je wel index voor index (geen geshuffelde loader)?")
    assert all(n >= 1 for n in dataset.reads) and all(n >= 1 for n in ref.reads), "lees elk voorbeeld via [i]"
    ref = ListDataset(list(range(8)), attribute_labels=range(8))
    ref.items[2] = (ref.items[2][0], 5)  # the reference's __getitem__ disagrees with its .labels at index 2
    got = find_mismatches(ListDataset(list(range(8)), attribute_labels=range(8)), ref)
    assert list(got) == [2], "ook van reference telt wat __getitem__ teruggeeft, niet het attribuut .labels"
    reset = rng_streams_reset_by(lambda: find_mismatches(ListDataset(labels[:20]), ListDataset(labels[:20])))
    assert not reset, (f"find_mismatches zet de globale RNG van {', '.join(reset)} terug op een vaste startwaarde: "
                       "verander niets buiten de functie")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_find_mismatches_rejects_length_mismatch", "grade": true, "points": 1}
"""Checks that find_mismatches raises a ValueError with a Dutch message when the datasets differ in length."""
with quiet():
    try:
        find_mismatches(ListDataset([0, 1, 2]), ListDataset([0, 1, 2, 3]))
    except ValueError as exc:
        assert_dutch(exc, "datasets van lengte 3 en 4")
    else:
        raise AssertionError("Datasets van lengte 3 en 4 gaven geen ValueError. Tip: wat zegt een vergelijking als "
                             "er aan één kant voorbeelden ontbreken?")
    ### BEGIN HIDDEN TESTS
    for n, m in ((5, 2), (1, 3), (3, 1), (0, 2)):
        try:
            find_mismatches(ListDataset(list(range(n))), ListDataset(list(range(m))))
        except ValueError as exc:
            assert_dutch(exc, f"datasets van lengte {n} en {m}")
        else:
            raise AssertionError(f"datasets van lengte {n} en {m} gaven geen ValueError")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 2 — `FixedDigits`: een dataset die altijd klopt (6 punten)
#
# Schrijf de klasse `FixedDigits(root=None, augment=False)`, een gerepareerde `BrokenDigits` voor een map met
# `images/` en `labels.csv` (`root=None` betekent de meegeleverde map, `digits_root()`). Eisen:
# 1. **Koppeling.** Voorbeeld `i` hoort bij rij `i` van `labels.csv` (net als in `DigitsDataset`). De rijen hoeven niet
#    gesorteerd te zijn, en in `images/` kunnen ook bestanden staan die niet in de CSV staan: die horen er niet bij.
#    `len(dataset)` is het aantal rijen.
# 2. **Beeld.** Zonder augmentatie is het beeld precies `read_digit(root / "images" / filename)` (float32, vorm
#    `(1, 8, 8)`, waarden in [0, 1]).
# 3. **Label.** Het attribuut `classes` is de **gesorteerde** lijst van de verschillende label-teksten in de CSV
#    (`["0", "1", …, "9"]`), `class_to_idx` de dict van tekst naar positie in `classes`, en het label van een
#    voorbeeld is `class_to_idx[tekst]` als Python-`int`. Lees `classes` dus uit de CSV zelf (geen vaste lijst, zoals
#    in stap 2 ook mocht): een CSV met alleen de labels `"2"`, `"5"` en `"7"` heeft `classes == ["2", "5", "7"]` en
#    de labels 0, 1 en 2. Dat moet in élk Python-proces hetzelfde zijn: een verborgen
#    test draait je klasse opnieuw in een vers proces met een andere `PYTHONHASHSEED`. Daarvoor voert hij de cel van
#    `BrokenDigits` en **de cel van jouw klasse** opnieuw uit, na de imports van de opzetcel (zonder matplotlib):
#    zet alles wat je klasse nodig heeft in die cel, of gebruik `read_digit` en `BrokenDigits`.
# 4. **Augmentatie.** Met `augment=True` verschuif je het beeld bij elke aanroep willekeurig over `dx` en `dy`, elk
#    uniform uit {−1, 0, +1} pixel (aanvullen met nullen of rondschuiven met `torch.roll` mag allebei). Niets anders: geen
#    rotatie of spiegeling, want die kunnen het cijfer veranderen. Het label blijft dat van het bestand.
# 5. **Workers.** Met `num_workers=2` moet elke worker **andere** verschuivingen trekken, en elke epoch (elke nieuwe
#    iterator over dezelfde loader) weer andere. De test maakt zelf de `DataLoader` (zonder `worker_init_fn`); gebruik
#    dus een RNG die de `DataLoader` per worker opnieuw zaait (zie stap 4), geen RNG-object dat je in `__init__` maakt.
#    Zet zelf geen globale startwaarden (`seed_everything`, `torch.manual_seed` of hun tegenhangers in NumPy en
#    `random`): een nieuwe dataset mag de random-getallen van wie hem aanmaakt niet terugzetten. Reproduceerbaar
#    wordt het via de `generator` van de loader.
# 6. **Foute invoer.** Een map die niet bestaat of een ontbrekende `labels.csv` geeft een `FileNotFoundError`, een
#    `labels.csv` zonder rijen (een leeg bestand, of alleen de kop) een `ValueError`, elk met een Nederlandse melding.

# %% nbgrader={"grade_id": "FixedDigits", "solution": true}
class FixedDigits(Dataset):
    """The digits folder, one sample per row of labels.csv, with labels that are the same in every process."""

    def __init__(self, root=None, augment=False):
        ### BEGIN SOLUTION
        self.root = Path(root) if root is not None else digits_root()
        if not self.root.is_dir():
            raise FileNotFoundError(f"de map {self.root} bestaat niet")
        csv_path = self.root / "labels.csv"
        if not csv_path.is_file():
            raise FileNotFoundError(f"{csv_path} ontbreekt")
        with open(csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            raise ValueError(f"{csv_path} bevat geen enkele rij")
        self.files = [row["filename"] for row in rows]  # the CSV pairs each file with its label: never os.listdir
        self.label_names = [row["label"] for row in rows]
        self.classes = sorted(set(self.label_names))  # sorted: the same order in every process
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.augment = augment
        ### END SOLUTION

    def __len__(self):
        ### BEGIN SOLUTION
        return len(self.files)
        ### END SOLUTION

    def __getitem__(self, index):
        ### BEGIN SOLUTION
        image = read_digit(self.root / "images" / self.files[index])
        if self.augment:
            dy, dx = torch.randint(-1, 2, (2,)).tolist()  # torch's RNG: the DataLoader reseeds it in every worker
            image = torch.nn.functional.pad(image, (1, 1, 1, 1))[:, 1 - dy:9 - dy, 1 - dx:9 - dx]
        return image, self.class_to_idx[self.label_names[index]]
        ### END SOLUTION

# %% nbgrader={"grade_id": "test_fixed_digits_matches_reference", "grade": true, "points": 1}
"""Checks that FixedDigits on the shipped folder gives the same image and label as DigitsDataset at every index."""
with quiet():
    fixed = FixedDigits()
    assert len(fixed) == len(reference), f"len(FixedDigits()) is {len(fixed)}, verwacht {len(reference)}."
    for i in (0, 1, 6, 9, 1000, 1796):
        image, label = fixed[i]
        assert type(label) is int, f"Het label is een {type(label).__name__}; verwacht een gewone Python-int."
        assert label == reference.labels[i], f"fixed[{i}] heeft label {label}, verwacht {reference.labels[i]}."
        assert image.dtype == torch.float32 and image.shape == (1, 8, 8), (
            f"fixed[{i}] geeft een beeld {image.dtype} {tuple(image.shape)}, verwacht float32 (1, 8, 8).")
        assert torch.equal(image, reference[i][0]), f"Het beeld van fixed[{i}] hoort bij een ander bestand."
    ### BEGIN HIDDEN TESTS
    subset = torch.randperm(len(fixed), generator=torch.Generator().manual_seed(5))[:120].tolist()
    for seed in (0, 1):
        loader = DataLoader(torch.utils.data.Subset(Tagged(fixed), subset), batch_size=40, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
        for X, y, idx in loader:
            assert y.dtype == torch.int64, (
                f"de loader maakt van de labels {y.dtype}, verwacht int64: welk type geeft __getitem__ terug?")
            assert y.tolist() == [reference.labels[i] for i in idx.tolist()], "labels kloppen niet na shuffelen"
            assert torch.equal(X, torch.stack([reference[i][0] for i in idx.tolist()])), "beelden na shuffelen"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_fixed_digits_follows_csv", "grade": true, "points": 1}
"""Checks that sample i of FixedDigits belongs to row i of labels.csv, also for an unsorted CSV and extra files."""
with quiet():
    folder = make_digits_folder(ALL_DIGITS + [("0010.png", "0"), ("0011.png", "1")], shuffle_seed=1)
    try:
        fixed, expected = FixedDigits(folder), DigitsDataset(folder)
        assert len(fixed) == len(expected), f"len is {len(fixed)}, maar labels.csv heeft {len(expected)} rijen."
        for i in range(len(expected)):
            assert fixed[i][1] == expected[i][1] and torch.equal(fixed[i][0], expected[i][0]), (
                f"Voorbeeld {i} hoort niet bij rij {i} van een ongesorteerde labels.csv. Tip: welke van de twee "
                "lijsten zegt welk bestand bij welk label hoort?")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ### BEGIN HIDDEN TESTS
    rows = ALL_DIGITS + [(f"{i:04d}.png", str(reference.labels[i])) for i in range(10, 40)]
    folder = make_digits_folder(rows, stray=["0500.png", "extra.png", "9999.png"], shuffle_seed=7)
    try:
        fixed, expected = FixedDigits(folder), DigitsDataset(folder)
        assert len(fixed) == len(expected), "bestanden die niet in labels.csv staan horen niet bij de dataset"
        for i in range(len(expected)):
            assert fixed[i][1] == expected[i][1] and torch.equal(fixed[i][0], expected[i][0]), "rij i hoort bij i"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_fixed_digits_labels_same_in_every_process", "grade": true, "points": 1}
"""Checks that classes are the sorted CSV texts, labels their positions, and both the same in another process."""
with quiet():
    fixed = FixedDigits()
    assert list(fixed.classes) == [str(d) for d in range(10)], (
        f"fixed.classes is {list(fixed.classes)!r}; verwacht de gesorteerde label-teksten. Tip: welke volgorde heeft "
        "een set?")
    assert dict(fixed.class_to_idx) == {str(d): d for d in range(10)}, "class_to_idx past niet bij classes."
    ### BEGIN HIDDEN TESTS
    rows = [(f"{i:04d}.png", str(reference.labels[i])) for i in range(40)]
    folder = make_digits_folder(rows, shuffle_seed=11)
    try:
        here = FixedDigits(folder)
        expected = [here[i][1] for i in range(len(here))]
        code = (f"ds = FixedDigits({str(folder)!r})\n"
                "print(list(ds.classes)); print([ds[i][1] for i in range(len(ds))])\n")
        out = run_in_fresh_process(FixedDigits, code, hashseed="12345").strip().splitlines()
        assert out[-2:] == [str([str(d) for d in range(10)]), str(expected)], (
            "in een vers proces met een andere PYTHONHASHSEED geeft je klasse andere classes of labels")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = [(f"{i:04d}.png", str(reference.labels[i])) for i in range(60) if reference.labels[i] in (2, 5, 7)]
    folder = make_digits_folder(rows, shuffle_seed=13)
    try:
        some = FixedDigits(folder)
        assert list(some.classes) == ["2", "5", "7"], (
            f"een labels.csv met alleen de labels 2, 5 en 7 gaf classes {list(some.classes)!r}: lees de klassen uit de "
            "CSV zelf, geen vaste lijst")
        expected = [[2, 5, 7].index(label) for label in DigitsDataset(folder).labels]
        assert [some[i][1] for i in range(len(some))] == expected, (
            "met alleen de labels 2, 5 en 7 is het label de positie van de tekst in classes (0, 1, 2), niet het cijfer")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_fixed_digits_augment_keeps_digit", "grade": true, "points": 1}
"""Checks that augment=True only shifts the image by at most one pixel, uniformly, and keeps the label."""
with quiet():
    seed_everything(0)
    plain, augmented = FixedDigits(), FixedDigits(augment=True)
    shifted = 0
    for i in range(0, 200, 5):
        image, label = augmented[i]
        assert label == reference.labels[i], f"Met augment=True veranderde het label van voorbeeld {i}."
        assert any(torch.equal(image, s) for s in shifts_of(reference[i][0])), (
            f"Het beeld van voorbeeld {i} is met augment=True meer veranderd dan een verschuiving van hoogstens één "
            "pixel. Tip: een rotatie of spiegeling maakt van een 6 een 9.")
        shifted += not torch.equal(image, reference[i][0])
    assert shifted > 0, "augment=True veranderde geen enkel beeld."
    ### BEGIN HIDDEN TESTS
    assert all(torch.equal(plain[i][0], reference[i][0]) for i in range(0, 200, 25)), "augment=False: geen verandering"
    folder = make_digits_folder(ALL_DIGITS, images={name: noise_digit(k) for k, (name, _) in enumerate(ALL_DIGITS)})
    try:
        exact, noisy = DigitsDataset(folder), FixedDigits(folder, augment=True)
        outcomes, unshifted = set(), 0
        for i in range(10):
            candidates = shifts_of(exact[i][0])
            for _ in range(6):
                image, label = noisy[i]
                assert label == exact[i][1], "met augment=True veranderde een label: pas alleen het beeld aan"
                hits = [k for k, s in enumerate(candidates) if torch.equal(image, s)]
                assert hits, "alleen verschuivingen van hoogstens één pixel"
                outcomes.add(hits[0] // 2)
                unshifted += hits[0] // 2 == 4  # dy = dx = 0
        assert len(outcomes) >= 6, f"de verschuivingen zijn niet gevarieerd genoeg ({len(outcomes)} van 9 gezien)"
        assert unshifted <= 20, (f"{unshifted} van de 60 trekkingen gaven geen verschuiving, bij een uniforme keuze "
                                 "van dx en dy is dat rond 1 op 9")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_fixed_digits_workers_draw_differently", "grade": true, "points": 1}
"""Checks that labels stay right with 2 workers, that each worker and epoch draws new shifts, and no seed is reset."""
with quiet():
    seed_everything(0)
    augmented = FixedDigits(augment=True)
    draws = torch.stack([augmented[7][0] for _ in range(8)])
    assert not all(torch.equal(d, draws[0]) for d in draws), (
        "Acht keer hetzelfde voorbeeld gaf acht keer dezelfde verschuiving: trekt je augmentatie wel elke aanroep "
        "opnieuw?")
    ### BEGIN HIDDEN TESTS
    rows = [(f"x{k:03d}.png", str(k % 10)) for k in range(32)]  # 32 copies of one image, all ten labels
    folder = make_digits_folder(rows, images={name: noise_digit(99) for name, _ in rows})
    try:
        dataset = FixedDigits(folder, augment=True)
        loader = DataLoader(Tagged(dataset), batch_size=4, shuffle=False, num_workers=2,
                            generator=torch.Generator().manual_seed(0))
        batches, again = list(loader), list(loader)
        for _, y, idx in batches + again:
            assert y.tolist() == [int(rows[i][1]) for i in idx.tolist()], "labels kloppen niet met num_workers=2"
        pairs = [torch.equal(batches[k][0], batches[k + 1][0]) for k in range(0, len(batches) - 1, 2)]
        assert not all(pairs), ("met num_workers=2 trekken beide workers precies dezelfde verschuivingen: een RNG uit "
                                "__init__ wordt naar elke worker gekopieerd")
        assert not all(torch.equal(a[0], b[0]) for a, b in zip(batches, again)), (
            "met num_workers=2 geeft elke epoch precies dezelfde verschuivingen: krijgt je RNG per epoch een andere "
            "startwaarde?")
        reset = rng_streams_reset_by(lambda: FixedDigits(folder, augment=True)[0])
        assert not reset, (f"FixedDigits zet de globale RNG van {', '.join(reset)} terug op een vaste startwaarde: een "
                           "nieuwe dataset hoort de random-getallen van de aanroeper niet te veranderen")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_fixed_digits_rejects_bad_folder", "grade": true, "points": 1}
"""Checks that FixedDigits raises Dutch errors for a missing folder, a missing labels.csv and one without rows."""
with quiet():
    missing = Path(tempfile.gettempdir()) / "q03-does-not-exist"
    try:
        FixedDigits(missing)
    except FileNotFoundError as exc:
        assert_dutch(exc, "een map die niet bestaat")
    else:
        raise AssertionError("Een map die niet bestaat gaf geen FileNotFoundError. Tip: een lege dataset zonder "
                             "foutmelding is het begin van een lange zoektocht.")
    ### BEGIN HIDDEN TESTS
    folder = make_digits_folder(ALL_DIGITS)
    try:
        for content, what in (("filename,label\n", "een labels.csv met alleen de kop"), ("", "een lege labels.csv")):
            (folder / "labels.csv").write_text(content)
            try:
                FixedDigits(folder)
            except ValueError as exc:
                assert_dutch(exc, what)
            else:
                raise AssertionError(f"{what} gaf geen ValueError")
        (folder / "labels.csv").unlink()
        try:
            FixedDigits(folder)
        except FileNotFoundError as exc:
            assert_dutch(exc, "een ontbrekende labels.csv")
        else:
            raise AssertionError("een ontbrekende labels.csv gaf geen FileNotFoundError")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (4 punten, handmatig nagekeken)
#
# Geef de stappen, in volgorde, om een `DataLoader` te debuggen die af en toe verkeerde labels retourneert, en zeg bij
# elke stap **waarom** je hem zet en welk soort bug hij vindt. Noem minstens één bug die alleen met workers of in een
# ander proces optreedt.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 4}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt, in deze of een verdedigbare volgorde:
# 1. *Kijk naar een batch* (beelden met labels in een grid): goedkoop; vindt verkeerde koppelingen en
#    label-veranderende augmentatie (een gedraaide 6 is een 9).
# 2. *Controleer uitlijning en parsing*: welk bestand hoort bij welk label (`os.listdir`-volgorde tegenover een
#    gesorteerde CSV; koppel via de CSV) en hoe tekst een klasse-index wordt (een mapping uit een `set` hangt af van
#    `PYTHONHASHSEED`: sorteer).
# 3. *Maak het reproduceerbaar*: vaste startwaarden en een `generator` voor de loader, zodat een fout label naar een
#    index te herleiden is. Een vaste startwaarde lost niets op (hij raakt bijvoorbeeld de hash-volgorde niet); hij
#    maakt de bug zichtbaar.
# 4. *Vergelijk `num_workers=0` met `num_workers > 0`* (en de start-methode `fork`/`spawn`): workers krijgen een kopie
#    van de dataset; een RNG uit `__init__` trekt in elke worker hetzelfde, en wat lui per worker wordt gebouwd kan
#    per worker verschillen.
# 5. *Pin bekende voorbeelden vast in een test* (en vergelijk alle indices met een referentie, `find_mismatches`),
#    gedraaid onder de omstandigheden van de bug: geshuffeld, met workers, in een vers proces.
# 6. *Overfit één batch* om model en lus uit te sluiten — en weet dat dit de labels niet controleert (willekeurige
#    labels zijn ook te overfitten); een lage validatie-accuracy met echte labels wijst dan naar de data.
#
# Puntentoekenning: 1 punt voor 1 + 2 met reden, 1 punt voor 3 met het inzicht dat een vaste startwaarde reproduceert
# maar niet repareert, 1 punt voor 4 met een concrete worker- of procesbug, 1 punt voor 5 + 6 (test onder de juiste
# omstandigheden; overfitten test het model, niet de labels).
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - "Soms verkeerde labels" heeft echte oorzaken: `os.listdir` gekoppeld aan een gesorteerde CSV, een mapping uit een
#   `set` (per proces anders), een augmentatie die het cijfer verandert, en een RNG of cache die elke worker kopieert.
# - Debug in volgorde: kijk, controleer de koppeling, maak reproduceerbaar (`generator`), vergelijk `num_workers=0`
#   met meer workers, pin voorbeelden vast in een test, overfit één batch.
# - Een vaste startwaarde maakt een bug reproduceerbaar, niet weg; die van `random` raakt de hash-volgorde van strings
#   niet.
# - Laat de CSV bepalen welk bestand bij welk label hoort, sorteer klassenamen, en gebruik in `__getitem__` een RNG
#   die de `DataLoader` per worker zaait (`torch.randint`).
# - Een *bus error* in een worker is meestal een te klein `/dev/shm`: minder workers, kleinere batches of meer shm.

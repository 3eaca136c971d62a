# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 6 — Een `DataLoader` unit-testen, en je tests zelf laten testen
#
# > **Oefenvraag.** Schrijf kort hoe je een dataloader unit-test opzet om shape en types te verifiëren.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. opsommen wat een test van een `Dataset`/`DataLoader` moet vastpinnen — vorm, dtype, waardenbereik, labels bij het
#    juiste beeld, de laatste (kleinere) batch, reproduceerbaarheid, en duidelijke fouten bij kapotte invoer — en voor
#    elk punt een echte bug noemen die zonder die test doorglipt;
# 2. fixtures schrijven met **echte** kleine bestanden in een tijdelijke map, inclusief echt kapotte bestanden, en
#    uitleggen waar een mock zwakker is;
# 3. pytest in een notebook en op de commandoregel draaien;
# 4. de kwaliteit van een testsuite meten met **mutatietesten**: hoeveel opzettelijk foute versies vangt hij?
#
# **Tijd:** ongeveer 60 minuten: 25 minuten voor de demo's, 35 minuten voor de oefening (11 punten) en het
# schriftelijke antwoord. Alles draait op de CPU, zonder downloads.
#
# In de code gebruiken we vaste namen: `loader`, `X`/`y`, `batch_size`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner of overgeslagen.
#
# De data: **1.797 handgeschreven cijfers** van 8×8 pixels (UCI, licentie CC BY 4.0), meegeleverd als een map
# `images/` met PNG-bestanden plus `labels.csv` (kop `filename,label`). `DigitsDataset` en `digits_loader` uit
# `mlinfra.data` lezen die map; vraag 3 bouwt ze op. Hier gaan we ze **testen**.

# %% nbgrader={"grade_id": "setup", "locked": true}
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path
from unittest import mock

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image, ImageFile
from torch.utils.data import DataLoader

from mlinfra import HEAVY, seed_everything
from mlinfra.data import DigitsDataset, digits_loader, digits_root
from mlinfra.grading import quiet
from mlinfra.mutation import IMPL_HEADER, collect_suite, make_tiny_digits, reference_source, run_suite
from mlinfra.plots import set_style

set_style()
if not HEAVY:  # while grading, figures are built but not rendered: that saves seconds per student
    plt.switch_backend("agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
seed_everything(0)
torch.set_num_threads(1)
WORK = Path(tempfile.mkdtemp(prefix="q06-"))  # every temporary file of this notebook goes here
print(f"{len(DigitsDataset())} cijfers in {digits_root().name}/, HEAVY = {HEAVY}")

# %% [markdown]
# ## Demo 1 — Wat levert de loader precies?
#
# Voordat je iets test, kijk je wat er uit de loader komt: vorm, dtype en bereik van `X`, dtype en bereik van `y`, en
# hoeveel batches er zijn. `digits_loader(batch_size=64)` schudt met een vaste `generator` (startwaarde 0).

# %%
loader = digits_loader(batch_size=64, seed=0)
X, y = next(iter(loader))
print(f"X: vorm {tuple(X.shape)}, dtype {X.dtype}, min {X.min().item():.3f}, max {X.max().item():.3f}")
print(f"y: vorm {tuple(y.shape)}, dtype {y.dtype}, waarden {y.min().item()}..{y.max().item()}")
n = len(loader.dataset)
print(f"\n{n} samples, batch_size 64: {len(loader)} batches; {n} = {n // 64} × 64 + {n % 64}")
if HEAVY:  # reading all 1,797 PNG files once: only for a reader
    sizes = [len(yb) for _, yb in loader]
    print(f"grootte van de laatste batch: {sizes[-1]}, van de andere: {set(sizes[:-1])}")
print(f"met drop_last=True: {len(digits_loader(batch_size=64, drop_last=True))} batches, de laatste 5 vallen weg")

# %%
if HEAVY:  # sixteen small plots cost a second: only for a reader
    fig, axes = plt.subplots(2, 8, figsize=(8, 2.6))
    for ax, image, label in zip(axes.flat, X, y):
        ax.imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"label {label.item()}", fontsize=9)
        ax.axis("off")
    fig.suptitle("De eerste 16 samples van batch 1: beeld en label horen bij elkaar")
    fig.tight_layout()
    plt.show()
else:
    print("(figuur overgeslagen tijdens het nakijken)")

# %% [markdown]
# **Conclusie:** één batch is `X` van vorm `(64, 1, 8, 8)` in `float32` met waarden in `[0, 1]` en `y` van vorm
# `(64,)` in `int64` met waarden 0..9; de 29e batch heeft maar 5 samples, tenzij je `drop_last=True` zet. Elk van die
# feiten is een regel die een test kan vastpinnen — en de figuur laat de belangrijkste zien die geen vorm- of
# dtype-test vindt: hoort het label bij het beeld?

# %% [markdown]
# ## Demo 2 — Reproduceerbaar: een vaste `generator`, ook met workers
#
# Een test die op een geschudde loader leunt, moet elke keer dezelfde volgorde zien. We vergelijken de eerste
# labels van één epoch bij verschillende instellingen. (Vraag 3 gaat dieper in op workers.)

# %%
def first_labels(loader: DataLoader, k: int = 12) -> list[int]:
    """The first ``k`` labels the loader yields in one epoch."""
    out: list[int] = []
    for _, yb in loader:
        out += yb.tolist()
        if len(out) >= k:
            return out[:k]
    return out


tiny = make_tiny_digits(WORK / "demo2")  # 12 shipped digits in a temporary folder
dataset = DigitsDataset(tiny.root)
runs = {
    "generator seed 0": DataLoader(dataset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0)),
    "generator seed 0, opnieuw": DataLoader(dataset, batch_size=4, shuffle=True,
                                            generator=torch.Generator().manual_seed(0)),
    "generator seed 1": DataLoader(dataset, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(1)),
    "geen generator": DataLoader(dataset, batch_size=4, shuffle=True),
    "geen generator, opnieuw": DataLoader(dataset, batch_size=4, shuffle=True),
}
if HEAVY:  # starting worker processes costs time: only for a reader
    runs["generator seed 0, num_workers=2"] = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=2,
                                                         generator=torch.Generator().manual_seed(0))
reference = first_labels(runs["generator seed 0"])
for name, run_loader in runs.items():
    labels = first_labels(run_loader)
    print(f"{name:<34}{labels}  {'= seed 0' if labels == reference else ''}")

# %% [markdown]
# **Conclusie:** met dezelfde vaste startwaarde voor de `generator` is de volgorde elke keer gelijk (ook met
# `num_workers=2`, in de volledige versie van dit notebook); zonder `generator` hangt de volgorde af van de globale
# RNG en verschilt hij van run tot run. Een test die een volgorde verwacht, geeft de loader dus zelf een `generator`
# mee.

# %% [markdown]
# ## Demo 3 — Kapotte bestanden: echt, niet gemockt
#
# Het antwoordmodel stelt voor randgevallen (lege of kapotte bestanden) met **mocks** te testen. We maken ze liever
# echt, in een tijdelijke map: een afgekapte PNG, een tekstbestand met een `.png`-naam, een lege `labels.csv`, een
# `labels.csv` met alleen de kop, en een ontbrekend bestand. Eerst: hoe kapot is "afgekapt"?

# %%
png = (digits_root() / "images" / "0000.png").read_bytes()
print(f"0000.png is {len(png)} bytes")
print(f"{'bytes bewaard':>14}  {'PIL.Image.open':<24}  {'.convert() (decoderen)':<44}")
for keep in (20, 40, 63, 90, len(png) - 20, len(png)):
    broken = WORK / f"cut_{keep}.png"
    broken.write_bytes(png[:keep])
    try:
        opened = Image.open(broken)
        open_result = "ok"
    except Exception as exc:  # noqa: BLE001 - the demo prints every kind of error
        opened, open_result = None, type(exc).__name__
    try:
        decoded = "ok" if opened is not None and opened.convert("L") else "-"
    except Exception as exc:  # noqa: BLE001
        decoded = f"{type(exc).__name__}: {exc}"[:44]
    print(f"{keep:>14}  {open_result:<24}  {decoded:<44}")

# %% [markdown]
# **Conclusie:** `Image.open` leest alleen de kop: bij 63 of 90 bewaarde bytes "lukt" het openen en faalt pas het
# decoderen. Een PNG waarvan alleen de laatste 20 bytes ontbreken, decodeert zelfs foutloos (de pixeldata is nog
# compleet). Een fixture "kapot bestand" moet dus echt kapot zijn: kap hem af op de helft, en controleer dat.
#
# Nu wat `DigitsDataset` met elk kapot geval doet, en wanneer: bij het **maken** van de dataset of bij het **lezen** van
# het sample.

# %%
def broken_case(name: str) -> tuple[str, str]:
    """Build one broken copy of the tiny folder; return (when it fails, 'ExceptionType: message')."""
    case = make_tiny_digits(WORK / "demo3" / name)
    target = case.root / "images" / case.filenames[3]
    if name == "afgekapte PNG":
        target.write_bytes(target.read_bytes()[: len(png) // 2])
    elif name == "tekst met .png-naam":
        target.write_text("dit is geen afbeelding")
    elif name == "labels.csv leeg (0 bytes)":
        (case.root / "labels.csv").write_text("")
    elif name == "labels.csv alleen kop":
        (case.root / "labels.csv").write_text("filename,label\n")
    elif name == "bestand ontbreekt":
        target.unlink()
    try:
        ds = DigitsDataset(case.root)
    except Exception as exc:  # noqa: BLE001
        return "bij maken", f"{type(exc).__name__}: {exc}"
    try:
        ds[3]
    except Exception as exc:  # noqa: BLE001
        return "bij lezen ds[3]", f"{type(exc).__name__}: {exc}"
    return "nooit", "-"


for name in ("afgekapte PNG", "tekst met .png-naam", "labels.csv leeg (0 bytes)", "labels.csv alleen kop",
             "bestand ontbreekt"):
    when, error = broken_case(name)
    print(f"{name:<27}{when:<17}{error.replace(str(WORK), '…')[:95]}")

# %% [markdown]
# **Conclusie:** elke kapotte invoer geeft een fout met een Nederlandse melding, en altijd op hetzelfde moment: een
# lege of kale `labels.csv` en een ontbrekend bestand al bij het maken (`ValueError`, `FileNotFoundError`), een
# kapotte afbeelding pas bij het lezen van dat ene sample (`ValueError`). Dat moment is deel van het contract en dus
# iets wat je test.
#
# ### Waarom een mock hier zwakker is
#
# Een veelgeziene "oplossing" voor kapotte afbeeldingen staat op internet: zet `ImageFile.LOAD_TRUNCATED_IMAGES = True`.
# Dan geeft een afgekapte PNG geen fout meer maar een half zwart plaatje. We testen twee datasets — de correcte en
# één met die regel — op twee manieren: met een **mock** (`Image.open` gooit een `OSError`) en met een **echt**
# afgekapt bestand.

# %%
class TruncatedAccepted(DigitsDataset):
    """A data set with the 'fix' from the internet: truncated images decode to partly black images."""

    def __getitem__(self, index):
        previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, True
        try:
            return super().__getitem__(index)
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def raises_value_error(read) -> bool:
    try:
        read()
    except ValueError:
        return True
    return False


def check_with_mock(cls) -> bool:
    ds = cls(make_tiny_digits(WORK / f"mock_{cls.__name__}").root)
    with mock.patch("PIL.Image.open", side_effect=OSError("kapot (mock)")):
        return raises_value_error(lambda: ds[3])


def check_with_real_file(cls) -> bool:
    case = make_tiny_digits(WORK / f"real_{cls.__name__}")
    target = case.root / "images" / case.filenames[3]
    target.write_bytes(target.read_bytes()[: len(png) // 2])
    ds = cls(case.root)
    return raises_value_error(lambda: ds[3])


print(f"{'dataset':<20}{'mock-test':>12}{'echt bestand':>15}")
for cls in (DigitsDataset, TruncatedAccepted):
    verdicts = ["geslaagd" if check(cls) else "GEFAALD" for check in (check_with_mock, check_with_real_file)]
    print(f"{cls.__name__:<20}{verdicts[0]:>12}{verdicts[1]:>15}")

# %% [markdown]
# **Conclusie:** de mock-test slaagt voor béide datasets — hij test alleen dat *jouw* `except` een `OSError` omzet,
# niet dat een echt kapot bestand die `OSError` ooit oplevert. Met het echte afgekapte bestand faalt de test op de
# foute dataset, zoals het hoort.
#
# Een mock blijft het juiste gereedschap voor fouten die je met een bestand niet (veilig) kunt maken: een volle schijf,
# een netwerkschijf of S3-bucket die time-outs geeft, of om te tellen hoe vaak iets gebeurt (wordt elk bestand maar één
# keer geopend?). Zwakker is hij overal waar het gedrag van de echte bibliotheek (hier: wanneer PIL faalt) de vraag is.

# %% [markdown]
# ## Demo 4 — Vergelijk pixels niet exact met je eigen `/ 255`
#
# Een test die het beeld vergelijkt met de pixels uit het bestand is sterk (hij vindt verkeerde koppelingen en
# ruis). Maar hoe reken je de verwachte waarde uit? `DigitsDataset` doet wat torchvision doet: `x * (1/255)`. Een
# test die zelf `x / 255` rekent en `torch.equal` gebruikt:

# %%
values = torch.arange(256, dtype=torch.float32)
differ = (values * (1.0 / 255) != values / 255).sum().item()
print(f"x * (1/255) en x / 255 verschillen voor {differ} van de 256 pixelwaarden "
      f"(max. verschil {(values * (1.0 / 255) - values / 255).abs().max().item():.1e})")
image, _ = DigitsDataset(tiny.root)[0]
with Image.open(tiny.root / "images" / tiny.filenames[0]) as im:
    pixels = torch.from_numpy(np.array(im))
print(f"torch.equal(image, pixels / 255):                     {torch.equal(image[0], pixels / 255)}")
print(f"torch.allclose(image, pixels / 255, atol=1e-6):       {torch.allclose(image[0], pixels / 255, atol=1e-6)}")
print(f"torch.equal((image * 255).round().byte(), pixels):    {torch.equal((image[0] * 255).round().byte(), pixels)}")

# %% [markdown]
# **Conclusie:** de twee rekenwijzen verschillen in de laatste bit voor bijna de helft van de waarden, dus een
# exacte vergelijking met je eigen deling faalt op de **correcte** dataset. Vergelijk met een kleine tolerantie, of
# reken terug naar de `uint8`-pixels.

# %% [markdown]
# ## Demo 5 — pytest in het notebook, en wie test de tests?
#
# Tests horen in een bestand dat pytest draait, in het notebook net als in CI. We schrijven een klein testbestand
# (een fixture die een echte map bouwt in `tmp_path`, en twee tests) en draaien het in een apart proces: precies het
# commando dat je ook in een terminal typt.

# %%
example = WORK / "test_example.py"
example.write_text(textwrap.dedent('''
    import pytest
    import torch

    from mlinfra.data import DigitsDataset
    from mlinfra.mutation import make_tiny_digits


    @pytest.fixture
    def tiny(tmp_path):
        return make_tiny_digits(tmp_path / "digits")


    def test_one_sample_shape_and_dtype(tiny):
        image, label = DigitsDataset(tiny.root)[0]
        assert image.shape == (1, 8, 8) and image.dtype == torch.float32


    def test_header_only_csv_is_refused(tiny):
        (tiny.root / "labels.csv").write_text("filename,label\\n")
        with pytest.raises(ValueError, match="geen enkele rij"):
            DigitsDataset(tiny.root)
'''))
command = [sys.executable, "-m", "pytest", "-q", "--color=no", "-p", "no:cacheprovider", example.name]
print("$", " ".join(["python", *command[1:]]))
if HEAVY:  # a pytest process imports torch again: only for a reader
    proc = subprocess.run(command, cwd=WORK, capture_output=True, text=True, timeout=120)
    print(proc.stdout[-800:])
else:
    print("(overgeslagen tijdens het nakijken)")

# %% [markdown]
# Twee groene tests — maar bewijzen ze iets? Een test die nooit rood wordt, vangt geen bug. **Mutatietesten** meet
# dat: maak opzettelijk foute versies van de code (*mutanten*), draai de tests op elk ervan, en tel hoeveel er
# "gevangen" worden (minstens één test faalt). Een goede suite is groen op de correcte code en rood op elke mutant.
#
# De mutanten hieronder zijn tien echte fouten, elk tegen één regel van het contract (je ziet hun code in de
# oefening). We testen twee suites: een die alleen `len` controleert, en een die precies doet wat het antwoordmodel
# zegt — vorm `(B, C, H, W)`, dtype `float32` en de dtype van de labels, plus lege en kapotte bestanden **met een
# mock**. Beide suites krijgen de fixtures `dataset_cls` (de versie die getest wordt) en `tiny_digits` (12 echte
# cijfers in een tijdelijke map); alles draait in één pytest-proces.

# %%
LEN_ONLY = '''
def test_len(dataset_cls, tiny_digits):
    assert len(dataset_cls(tiny_digits.root)) == 12
'''
ANTWOORDMODEL = '''
from unittest import mock


def test_batch_shape_and_types(dataset_cls, tiny_digits):
    X, y = next(iter(DataLoader(dataset_cls(tiny_digits.root), batch_size=4)))
    assert X.shape == (4, 1, 8, 8)
    assert X.dtype == torch.float32
    assert y.dtype == torch.int64


def test_empty_csv(dataset_cls, tiny_digits):
    (tiny_digits.root / "labels.csv").write_text("")
    with pytest.raises(ValueError):
        dataset_cls(tiny_digits.root)


def test_corrupt_file_with_mock(dataset_cls, tiny_digits):
    dataset = dataset_cls(tiny_digits.root)
    with mock.patch("PIL.Image.open", side_effect=OSError("kapot")):
        with pytest.raises(ValueError):
            dataset[0]
'''


# %% [markdown]
# De mutanten zelf staan in de vergrendelde cel bij de oefening; de cel hieronder gebruikt ze zodra die cel gedraaid
# is. Daarom staat de vergelijking hier als functie en roepen we hem pas na de oefencel aan (zie "Demo 5, vervolg").

# %%
def compare_suites(suites: dict[str, str], mutants: dict[str, str]) -> dict[str, dict[str, bool]]:
    """suite name → {mutant name → caught?}; each suite runs once against the correct code and every mutant."""
    table = {}
    for suite_name, source in suites.items():
        report = run_suite(source, {"correct": reference_source(), **mutants})
        assert report.green_on_baseline, f"{suite_name} is niet groen op de correcte code:\n{report.summary()}"
        table[suite_name] = {name: report.caught(name) for name in mutants}
    return table


# %% [markdown]
# De vergrendelde cel hieronder bevat de correcte versie en de zichtbare mutanten: elk de correcte dataset met één
# fout. Lees ze gerust; je tests moeten ook andere fouten tegen dezelfde regel vangen. De opdracht staat eronder.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
def mutant(body: str) -> str:
    """Module source of a faulty DigitsDataset: a subclass of the correct one with ``body`` as its class body."""
    return IMPL_HEADER + "class DigitsDataset(Reference):\n" + textwrap.indent(textwrap.dedent(body).strip("\n"),
                                                                               "    ") + "\n"


CORRECT = reference_source()
VISIBLE_MUTANTS = {
    "channels_last": mutant('''
        def __getitem__(self, index):
            image, label = super().__getitem__(index)
            return image.permute(1, 2, 0), label  # (8, 8, 1), as PIL and numpy store it
    '''),
    "float64_images": mutant('''
        def __getitem__(self, index):
            image, label = super().__getitem__(index)
            return image.double(), label
    '''),
    "pixels_0_255": mutant('''
        def __getitem__(self, index):
            image, label = super().__getitem__(index)
            return image * 255, label  # forgot to scale
    '''),
    "float_labels": mutant('''
        def __getitem__(self, index):
            image, label = super().__getitem__(index)
            return image, float(label)  # labels read as float("7.0")
    '''),
    "files_in_folder_order": mutant('''
        def __init__(self, root=None, transform=None):
            super().__init__(root, transform)
            # images taken in folder order, labels in CSV order
            self.filenames = sorted(p.name for p in self.image_dir.glob("*.png"))[: len(self.labels)]
    '''),
    "len_counts_header": mutant('''
        def __len__(self):
            return len(self.filenames) + 1  # counted the lines of labels.csv, header included
    '''),
    "random_brightness": mutant('''
        def __getitem__(self, index):
            image, label = super().__getitem__(index)
            return image * torch.empty(()).uniform_(0.8, 1.0), label  # an augmentation left in the data set
    '''),
    "corrupt_as_zeros": mutant('''
        def __getitem__(self, index):
            try:
                return super().__getitem__(index)
            except ValueError:
                return torch.zeros(1, 8, 8), self.labels[index]  # "the training must not crash"
    '''),
    "empty_csv_is_empty": mutant('''
        def __init__(self, root=None, transform=None):
            lines = (Path(root) / "labels.csv").read_text().strip().splitlines() if root is not None else None
            if lines is not None and len(lines) <= 1:  # no rows: an empty data set, no error
                self.root, self.transform, self.image_dir = Path(root), transform, Path(root) / "images"
                self.filenames, self.labels = [], []
                return
            super().__init__(root, transform)
    '''),
    "missing_files_dropped": mutant('''
        def __init__(self, root=None, transform=None):
            from mlinfra.data import _read_labels_csv, digits_root

            self.root = digits_root() if root is None else Path(root)
            self.transform, self.image_dir = transform, self.root / "images"
            rows = zip(*_read_labels_csv(self.root / "labels.csv"))
            kept = [(name, label) for name, label in rows if (self.image_dir / name).is_file()]  # silently skipped
            self.filenames, self.labels = [name for name, _ in kept], [label for _, label in kept]
    '''),
}
NOT_GREEN = ("Je tests falen op de correcte DigitsDataset (zie de uitvoer van de eerste testcel); dan telt geen "
             "gevangen fout mee. Tip: volg het contract in de opdracht letterlijk.")


def suite_report(implementations: dict[str, str]):
    """Run the tests of the exercise cell against the given implementations (one pytest process; results cached)."""
    return run_suite(collect_suite(globals()), implementations)


def assert_caught(name: str, source: str, hint: str) -> None:
    """Your tests must be green on the correct data set and red on the mutant ``source``."""
    report = suite_report({"correct": CORRECT, name: source})
    assert report.green_on_baseline, NOT_GREEN
    assert report.caught(name), f"Geen enkele test faalt op de foute versie '{name}'. {hint}"


# %% [markdown]
# ## Oefening — Schrijf de testsuite (11 punten)
#
# Je schrijft pytest-tests voor een `DigitsDataset`. Ze worden nagekeken door **mutatietesten**: jouw tests draaien
# op de correcte dataset en op foute versies; elke soort fout die je tests vangen, levert een punt op.
#
# **Het contract.** `dataset = dataset_cls(root)` leest een map `root` met `images/*.png` en `labels.csv` (kop
# `filename,label`). Dan geldt:
# 1. `len(dataset)` is het aantal rijen (zonder kop) in `labels.csv`.
# 2. `dataset[i]` is `(image, label)` voor **rij `i` van `labels.csv`**: `label` is het label van die rij en `image`
#    komt uit het bestand van die rij — niet uit het `i`-de bestand van de map.
# 3. `image` is een `torch.Tensor` van vorm `(1, H, W)` (hier `(1, 8, 8)`), dtype `torch.float32`, met waarden in
#    `[0, 1]`: pixelwaarde `p` (0..255 in het bestand) wordt `p / 255` (vergelijk met een tolerantie of terug in
#    `uint8`, zie demo 4).
# 4. `label` is een Python-`int` in 0..9; een `DataLoader` maakt van de labels van een batch een `int64`-tensor van
#    vorm `(B,)`.
# 5. Hetzelfde sample is elke keer hetzelfde (geen willekeur in de dataset, ook niet als niemand een vaste startwaarde
#    zet); een `DataLoader` met een vaste startwaarde voor de `generator` geeft elke keer dezelfde batches, ook met
#    `num_workers=2`.
# 6. In een `DataLoader` met `batch_size=B` zijn de batches `(B, 1, 8, 8)` en `(B,)`, de laatste batch is kleiner, en
#    met `drop_last=True` valt die weg.
# 7. Een lege `labels.csv` (0 bytes) én een `labels.csv` met alleen de kop geven een `ValueError` **bij het maken** van
#    de dataset.
# 8. Een bestand dat in `labels.csv` staat maar ontbreekt, geeft een `FileNotFoundError` **bij het maken** van de
#    dataset (niet pas bij het lezen).
# 9. Een kapotte afbeelding — een afgekapte PNG (bijvoorbeeld de eerste helft van de bytes) of een tekstbestand met
#    een `.png`-naam — geeft een `ValueError` **bij het lezen** van dat sample; maken lukt, en de andere samples
#    blijven leesbaar.
#
# **Zo schrijf je de tests.** In de cel hieronder, als gewone functies `def test_...(...)`. Je krijgt twee fixtures:
# - `dataset_cls`: de klasse die getest wordt (maak er datasets mee: `dataset_cls(root)`);
# - `tiny_digits`: een verse tijdelijke map met 12 echte cijfers, met `.root` (de map), `.filenames` en `.labels`
#   (rij `i` van `labels.csv` is `(filenames[i], labels[i])`). Let op: de rijen staan **niet** op bestandsnaam. Je mag
#   de map in je test kapotmaken; elke test krijgt een nieuwe.
#
# Daarnaast mag je de gewone pytest-fixtures (`tmp_path`, …), `pytest.mark.parametrize` en eigen hulpfuncties en
# fixtures gebruiken. De cel wordt los van het notebook een testbestand, met bovenaan deze imports: `csv`, `os`,
# `shutil`, `Path`, `numpy as np`, `pytest`, `torch`, `Image` (PIL) en `DataLoader`. Alles wat je verder nodig hebt,
# importeer of definieer je in de cel zelf.
#
# **Spelregels.**
# - Test gedrag via `dataset_cls` en `tiny_digits`. Gebruik `mlinfra` niet in je tests (de referentie-implementatie
#   als orakel is geen test), en kijk niet in de implementatie zelf (broncode, klasse, methodes, module). Daarom wordt
#   een testbestand **niet gedraaid** (en is het op elke versie rood) als het een van deze namen gebruikt, als naam of
#   in een string: `mlinfra`, `conftest`, `inspect`, `dis`, `gc`, `importlib`, `vars`, `modules` (zoals in
#   `sys.modules`), `mro`, `get_type_hints`, of een dunder-naam (`__...__`) anders dan `__init__`, `__getitem__`,
#   `__len__`, `__iter__`, `__name__`, `__main__` en `__future__`. Commentaar telt niet mee.
# - Elke versie wordt getest vanaf een verse start: wat je tests onthouden (een globale variabele, een cache), geldt
#   alleen voor de tests van die ene versie, zoals wanneer pytest je bestand op één implementatie draait. Een
#   "snapshot" van de eerste versie die je ziet, vergelijkt een versie dus alleen met zichzelf.
# - Houd het snel: elke test maximaal 5 s rekentijd (en 30 s wachttijd), de hele run (correcte versie plus alle foute)
#   maximaal 90 s; een test die te lang duurt telt als gefaald.
#   Gebruik daarom `tiny_digits`, niet alle 1.797 cijfers.
#
# **Nakijken.** De eerste testcel draait je tests één keer in een apart pytest-proces op de correcte dataset en op
# alle foute versies, en geeft 1 punt als al je tests slagen op de correcte dataset. Elke volgende testcel hoort bij
# één regel van het contract en geeft 1 punt als je tests groen zijn op de correcte dataset **en** minstens één test
# faalt op elke foute versie van die regel: de zichtbare mutant in de cel én verborgen varianten (dezelfde regel, een
# andere fout). Een test die faalt op de correcte dataset kost dus alle punten: dan weet je bij rood niet of de code
# of de test fout is.

# %% nbgrader={"grade_id": "digits_tests", "solution": true}
# Your pytest tests for dataset_cls: functions named test_..., using the fixtures dataset_cls and tiny_digits.
### BEGIN SOLUTION
def read_pixels(path: Path) -> torch.Tensor:
    """The pixels straight from a PNG file: uint8 of shape (1, H, W)."""
    with Image.open(path) as im:
        return torch.from_numpy(np.array(im.convert("L"))).unsqueeze(0)


def test_len_is_number_of_rows(dataset_cls, tiny_digits):
    assert len(dataset_cls(tiny_digits.root)) == len(tiny_digits.labels)


def test_every_sample_has_shape_dtype_and_range(dataset_cls, tiny_digits):
    dataset = dataset_cls(tiny_digits.root)
    for i in range(len(tiny_digits.labels)):
        image, label = dataset[i]
        assert isinstance(image, torch.Tensor) and image.shape == (1, 8, 8)
        assert image.dtype == torch.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
        assert type(label) is int and 0 <= label <= 9


def test_samples_match_the_csv_rows(dataset_cls, tiny_digits):
    dataset = dataset_cls(tiny_digits.root)
    for i, (name, label) in enumerate(zip(tiny_digits.filenames, tiny_digits.labels)):
        image, got = dataset[i]
        assert got == label, f"rij {i}: label {got}, verwacht {label}"
        expected = read_pixels(tiny_digits.root / "images" / name)
        assert torch.equal((image * 255).round().to(torch.uint8), expected), f"rij {i}: beeld hoort niet bij {name}"


def test_same_sample_every_time(dataset_cls, tiny_digits):
    dataset = dataset_cls(tiny_digits.root)
    for i in range(3):
        assert torch.equal(dataset[i][0], dataset[i][0])


def test_batches_and_last_partial_batch(dataset_cls, tiny_digits):
    batches = list(DataLoader(dataset_cls(tiny_digits.root), batch_size=5))
    assert [len(y) for _, y in batches] == [5, 5, 2]
    for X, y in batches:
        assert X.shape == (len(y), 1, 8, 8) and X.dtype == torch.float32
        assert y.shape == (len(y),) and y.dtype == torch.int64
    dropped = list(DataLoader(dataset_cls(tiny_digits.root), batch_size=5, drop_last=True))
    assert [len(y) for _, y in dropped] == [5, 5]


@pytest.mark.parametrize("content", ["", "filename,label\n"], ids=["leeg", "alleen-kop"])
def test_empty_csv_is_refused_on_construction(dataset_cls, tiny_digits, content):
    (tiny_digits.root / "labels.csv").write_text(content)
    with pytest.raises(ValueError):
        dataset_cls(tiny_digits.root)


def test_missing_image_is_refused_on_construction(dataset_cls, tiny_digits):
    (tiny_digits.root / "images" / tiny_digits.filenames[4]).unlink()
    with pytest.raises(FileNotFoundError):
        dataset_cls(tiny_digits.root)


@pytest.mark.parametrize("kind", ["afgekapt", "tekst"])
def test_corrupt_image_raises_when_read(dataset_cls, tiny_digits, kind):
    path = tiny_digits.root / "images" / tiny_digits.filenames[3]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if kind == "afgekapt" else b"dit is geen afbeelding")
    dataset = dataset_cls(tiny_digits.root)
    with pytest.raises(ValueError):
        dataset[3]
    image, label = dataset[2]  # the other samples still load
    assert label == tiny_digits.labels[2]


# Slowest last (it starts worker processes): on a version already caught, the grader skips it.
def test_seeded_loader_is_reproducible_with_workers(dataset_cls, tiny_digits):
    def epoch(num_workers):
        loader = DataLoader(dataset_cls(tiny_digits.root), batch_size=4, shuffle=True, num_workers=num_workers,
                            generator=torch.Generator().manual_seed(0))
        return list(loader)

    first, again = epoch(0), epoch(2)
    assert len(first) == len(again) == 3
    for (X1, y1), (X2, y2) in zip(first, again):
        assert torch.equal(X1, X2) and torch.equal(y1, y2)
### END SOLUTION

# %% nbgrader={"grade_id": "test_suite_green_on_correct_dataset", "grade": true, "points": 1}
"""Checks that your tests all pass on the correct DigitsDataset (and that there is at least one)."""
with quiet():
    implementations = {"correct": CORRECT, **VISIBLE_MUTANTS}
    ### BEGIN HIDDEN TESTS
    HIDDEN_MUTANTS = {
        "no_channel_dim": mutant('''
            def __getitem__(self, index):
                image, label = super().__getitem__(index)
                return image.squeeze(0), label
        '''),
        "float16_images": mutant('''
            def __getitem__(self, index):
                image, label = super().__getitem__(index)
                return image.half(), label
        '''),
        "pixels_minus1_1": mutant('''
            def __getitem__(self, index):
                image, label = super().__getitem__(index)
                return image * 2 - 1, label  # Normalize((0.5,), (0.5,)) baked in
        '''),
        "int32_tensor_labels": mutant('''
            def __getitem__(self, index):
                image, label = super().__getitem__(index)
                return image, torch.tensor(label, dtype=torch.int32)
        '''),
        "label_of_previous_row": mutant('''
            def __getitem__(self, index):
                image, _ = super().__getitem__(index)
                return image, self.labels[index - 1]
        '''),
        "len_skips_last_row": mutant('''
            def __len__(self):
                return len(self.filenames) - 1
        '''),
        "unseeded_brightness": mutant('''
            def __getitem__(self, index):
                import random

                image, label = super().__getitem__(index)
                return image * random.Random().uniform(0.8, 1.0), label  # seeded by the OS, not by torch
        '''),
        "truncated_png_accepted": mutant('''
            def __getitem__(self, index):
                from PIL import ImageFile

                previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, True
                try:
                    return super().__getitem__(index)
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = previous
        '''),
        "header_only_csv_is_empty": mutant('''
            def __init__(self, root=None, transform=None):
                if root is not None and (Path(root) / "labels.csv").read_text().strip() == "filename,label":
                    self.root, self.transform, self.image_dir = Path(root), transform, Path(root) / "images"
                    self.filenames, self.labels = [], []
                    return
                super().__init__(root, transform)
        '''),
        "missing_file_found_late": mutant('''
            def __init__(self, root=None, transform=None):
                from mlinfra.data import _read_labels_csv, digits_root

                self.root = digits_root() if root is None else Path(root)
                self.transform, self.image_dir = transform, self.root / "images"
                self.filenames, self.labels = _read_labels_csv(self.root / "labels.csv")
        '''),
    }
    implementations.update(HIDDEN_MUTANTS)
    ### END HIDDEN TESTS
    report = suite_report(implementations)
    print(report.summary(names=["correct", *VISIBLE_MUTANTS]))
    assert report.green_on_baseline, NOT_GREEN

# %% nbgrader={"grade_id": "test_catches_wrong_image_shape", "grade": true, "points": 1}
"""Checks that your tests catch a data set whose images do not have the shape (1, H, W)."""
with quiet():
    assert_caught("channels_last", VISIBLE_MUTANTS["channels_last"],
                  "Tip: controleer de volledige vorm van een sample en van een batch, niet alleen het aantal pixels.")
    ### BEGIN HIDDEN TESTS
    assert_caught("no_channel_dim", HIDDEN_MUTANTS["no_channel_dim"], "Een andere verkeerde vorm glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_wrong_image_dtype", "grade": true, "points": 1}
"""Checks that your tests catch a data set whose images are not float32."""
with quiet():
    assert_caught("float64_images", VISIBLE_MUTANTS["float64_images"],
                  "Tip: vergelijk de dtype exact met torch.float32; 'het is een float' is niet genoeg.")
    ### BEGIN HIDDEN TESTS
    assert_caught("float16_images", HIDDEN_MUTANTS["float16_images"], "Een andere verkeerde dtype glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_wrong_pixel_range", "grade": true, "points": 1}
"""Checks that your tests catch a data set whose pixel values are not in [0, 1]."""
with quiet():
    assert_caught("pixels_0_255", VISIBLE_MUTANTS["pixels_0_255"],
                  "Tip: controleer beide grenzen van [0, 1], of vergelijk met de pixels in het bestand.")
    ### BEGIN HIDDEN TESTS
    assert_caught("pixels_minus1_1", HIDDEN_MUTANTS["pixels_minus1_1"], "Een ander verkeerd bereik glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_wrong_label_type", "grade": true, "points": 1}
"""Checks that your tests catch a data set whose labels are not Python ints (int64 in a batch)."""
with quiet():
    assert_caught("float_labels", VISIBLE_MUTANTS["float_labels"],
                  "Tip: wat is het type van één label, en de dtype van de labels in een batch?")
    ### BEGIN HIDDEN TESTS
    assert_caught("int32_tensor_labels", HIDDEN_MUTANTS["int32_tensor_labels"],
                  "Een ander verkeerd labeltype glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_mismatched_labels", "grade": true, "points": 1}
"""Checks that your tests catch a data set that pairs an image with the wrong row of labels.csv."""
with quiet():
    assert_caught("files_in_folder_order", VISIBLE_MUTANTS["files_in_folder_order"],
                  "Tip: controleer voor elke rij i van labels.csv het label én dat het beeld uit bestand "
                  "tiny_digits.filenames[i] komt; de rijen staan niet op bestandsnaam.")
    ### BEGIN HIDDEN TESTS
    assert_caught("label_of_previous_row", HIDDEN_MUTANTS["label_of_previous_row"],
                  "Een andere verkeerde koppeling glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_wrong_length", "grade": true, "points": 1}
"""Checks that your tests catch a data set whose len() is not the number of rows."""
with quiet():
    assert_caught("len_counts_header", VISIBLE_MUTANTS["len_counts_header"],
                  "Tip: hoeveel samples zijn er, en hoeveel levert een DataLoader er echt op?")
    ### BEGIN HIDDEN TESTS
    assert_caught("len_skips_last_row", HIDDEN_MUTANTS["len_skips_last_row"], "Een andere verkeerde lengte glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_nondeterministic_samples", "grade": true, "points": 1}
"""Checks that your tests catch a data set that returns a different image for the same index."""
with quiet():
    assert_caught("random_brightness", VISIBLE_MUTANTS["random_brightness"],
                  "Tip: lees hetzelfde sample twee keer zonder zelf een seed te zetten, of vergelijk met het bestand.")
    ### BEGIN HIDDEN TESTS
    assert_caught("unseeded_brightness", HIDDEN_MUTANTS["unseeded_brightness"],
                  "Willekeur die geen torch-seed gebruikt, glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_silent_corrupt_image", "grade": true, "points": 1}
"""Checks that your tests catch a data set that accepts a corrupt image without a ValueError."""
with quiet():
    assert_caught("corrupt_as_zeros", VISIBLE_MUTANTS["corrupt_as_zeros"],
                  "Tip: maak in je test een echt kapot bestand en verwacht een ValueError bij het lezen.")
    ### BEGIN HIDDEN TESTS
    assert_caught("truncated_png_accepted", HIDDEN_MUTANTS["truncated_png_accepted"],
                  "Een afgekapte PNG glipt erdoor (zie demo 3).")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_silent_empty_csv", "grade": true, "points": 1}
"""Checks that your tests catch a data set that accepts an empty labels.csv without a ValueError."""
with quiet():
    assert_caught("empty_csv_is_empty", VISIBLE_MUTANTS["empty_csv_is_empty"],
                  "Tip: maak labels.csv leeg en verwacht een ValueError bij het maken van de dataset.")
    ### BEGIN HIDDEN TESTS
    assert_caught("header_only_csv_is_empty", HIDDEN_MUTANTS["header_only_csv_is_empty"],
                  "Een labels.csv met alleen de kop glipt erdoor.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_catches_unchecked_missing_image", "grade": true, "points": 1}
"""Checks that your tests catch a data set that does not refuse a missing image when it is created."""
with quiet():
    assert_caught("missing_files_dropped", VISIBLE_MUTANTS["missing_files_dropped"],
                  "Tip: verwijder een afbeelding uit de map en verwacht een FileNotFoundError bij het maken.")
    ### BEGIN HIDDEN TESTS
    assert_caught("missing_file_found_late", HIDDEN_MUTANTS["missing_file_found_late"],
                  "Een fout die pas bij het lezen komt, glipt erdoor: het contract eist hem bij het maken.")
    ### END HIDDEN TESTS

# %% [markdown]
# ## Demo 5, vervolg — Het antwoordmodel onder mutatietest
#
# Nu de mutanten bestaan, draaien we de twee suites van demo 5 ertegen (alleen als je het notebook zelf draait).

# %%
if HEAVY:
    caught = compare_suites({"alleen len": LEN_ONLY, "antwoordmodel": ANTWOORDMODEL}, VISIBLE_MUTANTS)
    names = list(VISIBLE_MUTANTS)
    print(f"{'mutant':<24}" + "".join(f"{suite:>16}" for suite in caught))
    for name in names:
        print(f"{name:<24}" + "".join(f"{'gevangen' if caught[s][name] else '-':>16}" for s in caught))
    print(f"{'totaal':<24}" + "".join(f"{sum(caught[s].values()):>13}/{len(names)}" for s in caught))
    fig, ax = plt.subplots(figsize=(6, 4.5))
    matrix = np.array([[caught[s][name] for s in caught] for name in names], dtype=float)
    ax.imshow(matrix, cmap="Greens", vmin=0, vmax=1.3, aspect="auto")
    ax.set_xticks(range(len(caught)), list(caught))
    ax.set_yticks(range(len(names)), names)
    ax.grid(False)
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(col, row, "gevangen" if value else "mist", ha="center", va="center", fontsize=9)
    ax.set_title("Welke mutanten vangt een suite? (groen = gevangen)")
    fig.tight_layout()
    plt.show()
else:
    print("(overgeslagen tijdens het nakijken)")

# %% [markdown]
# **Conclusie:** beide suites zijn groen op de correcte code, maar de `len`-suite vangt 1 van de 10 mutanten en de
# suite van het antwoordmodel 5 van de 10 (vorm, dtype van beeld en label, de stille kapotte afbeelding en de lege
# CSV). Pixelbereik, koppeling van beeld en label, lengte, willekeur en een ontbrekend bestand glippen erdoor. En de
# mock vangt `corrupt_as_zeros` wel, maar niet de dataset die een afgekapte PNG stil accepteert (demo 3).

# %% [markdown]
# ## Het antwoordmodel, punt voor punt
#
# > *Het antwoordmodel:* "Dataloader unit-test: maak fixture met klein CSV/sample images; assert shapes (batch, C, H,
# > W), dtype (`torch.float32`), and label dtypes; test edge-cases (empty, corrupted file) met mocks."
#
# 1. *"fixture met klein CSV/sample images"* — **klopt**: `tiny_digits` is precies dat, twaalf echte bestanden in een
#    tijdelijke map, en elke test krijgt een verse kopie die hij kapot mag maken (demo 3).
# 2. *"assert shapes (batch, C, H, W)"* — **klopt, maar onvolledig**: de laatste batch is kleiner (demo 1: 1.797 =
#    28 × 64 + 5), dus een test die overal `64` verwacht faalt; en een vormtest ziet niet of het label bij het beeld
#    hoort (demo 5, vervolg: `files_in_folder_order` glipt erdoor).
# 3. *"dtype (`torch.float32`), and label dtypes"* — **klopt, maar onvolledig**: dtype zonder waardenbereik laat
#    `pixels_0_255` door (zelfde vorm, zelfde dtype, 255 keer te groot).
# 4. *"edge-cases (empty, corrupted file) met mocks"* — **onvolledig** voor "empty" (een `labels.csv` met alleen de
#    kop is ook leeg) en **fout** voor "corrupted file met mocks": de mock-test slaagt ook voor de dataset die
#    afgekapte PNG's stil accepteert (demo 3). Maak kapotte bestanden echt en controleer dat ze echt kapot zijn.
# 5. *Wat ontbreekt:* labels bij het juiste beeld (de bug uit vraag 3), `len`, reproduceerbaarheid met een vaste
#    startwaarde voor de `generator` en met workers, het moment van de fout (bij maken of bij lezen), en de vraag of
#    de tests zelf iets vangen — mutatietesten maakt dat meetbaar.

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Beschrijf hoe je een unit-test voor een dataloader opzet om vorm en types te verifiëren, en wat zo'n testsuite
# daarnaast moet dekken. Noem hoe je randgevallen maakt en hoe je weet dat je tests goed genoeg zijn.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Opzet:* een fixture die per test een kleine, echte datamap bouwt in een tijdelijke map (`tmp_path`): een paar
#    echte afbeeldingen en een `labels.csv`, bij voorkeur met rijen die niet op bestandsnaam staan; pytest draait de
#    tests (in CI en lokaal), snel, zonder de volledige dataset.
# 2. *Vorm en types:* per sample `(C, H, W)`, `float32`, bereik `[0, 1]`, label `int` in het bereik; per batch
#    `(B, C, H, W)` en `int64`-labels `(B,)`, met de laatste kleinere batch en `drop_last`.
# 3. *Daarnaast:* label en beeld horen bij dezelfde rij (vergelijk met de pixels in het bestand, met een tolerantie
#    of in `uint8`), `len`, determinisme (zelfde sample twee keer; vaste startwaarde voor de
#    `generator`, ook met workers).
# 4. *Randgevallen met echte bestanden:* lege CSV, CSV met alleen kop, ontbrekend bestand, afgekapte PNG en tekst met
#    `.png`-naam, elk met de verwachte fout op het juiste moment (maken of lezen); een mock alleen voor wat je niet
#    echt kunt maken (volle schijf, netwerkfouten) omdat een mock niet test wanneer de echte bibliotheek faalt.
# 5. *Goed genoeg?* De suite moet groen zijn op correcte code en rood op foute versies: mutatietesten (opzettelijke
#    fouten per regel van het contract) meet hoeveel fouten de tests vangen.
#
# Puntentoekenning: 1 punt voor 1 + 2, 1 punt voor 3 + 4 (echte bestanden, met het waarom), 1 punt voor 5.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - Een dataloader-test pint vast: vorm `(B, C, H, W)`, `float32` in `[0, 1]`, labels `int64` in het bereik, het
#   label bij het juiste beeld, `len` en de laatste kleinere batch, reproduceerbaarheid met een vaste startwaarde
#   voor de `generator` (ook met workers), en duidelijke fouten op het juiste moment.
# - Bouw fixtures met echte kleine bestanden in een tijdelijke map; maak kapotte bestanden echt (en controleer dat ze
#   kapot zijn). Een mock test je eigen `except`, niet wanneer de bibliotheek faalt.
# - Vergelijk floats met een tolerantie of in `uint8`: `x / 255` en `x * (1/255)` verschillen in de laatste bit.
# - Groen bewijst niets tot je de test rood hebt gezien: mutatietesten meet hoeveel foute versies je suite vangt.

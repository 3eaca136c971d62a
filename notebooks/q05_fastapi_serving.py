# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 5 — Een FastAPI-modelserver onder gelijktijdige requests
#
# > **Oefenvraag.** Analyseer dit FastAPI-fragment en beschrijf threading/worker-issues die kunnen optreden:
# > ```python
# > model = load_model(...)
# > @app.post('/predict')
# > def predict(image: bytes):
# >     tensor = transform(image)
# >     out = model(tensor)
# >     return {'pred': out.argmax().item()}
# > ```
#
# We lezen het fragment niet alleen: we **draaien** het, op een echte uvicorn-server op `127.0.0.1`, met een echte
# HTTP-client en echte PNG-uploads, en meten elk probleem.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. uitleggen hoe FastAPI een `def`-endpoint in een threadpool draait en een `async def`-endpoint op de event loop,
#    en wat dat betekent voor een PyTorch-model dat door alle requests gedeeld wordt;
# 2. met metingen laten zien wat er misgaat zonder `eval()`, zonder `torch.inference_mode()`, met te veel threads,
#    met meerdere workers en met foute invoer;
# 3. een `create_app(model)` schrijven die correct is onder gelijktijdige requests, een upload valideert en foute
#    invoer met een duidelijke 4xx-melding weigert.
#
# **Tijd:** ongeveer 50 minuten. Alles draait op de CPU, zonder downloads; alle servers luisteren alleen op
# `127.0.0.1` en worden aan het eind van elke cel weer gestopt.
#
# Een paar woorden vooraf: een **endpoint** is een URL plus HTTP-methode (`POST /predict`) met de functie die het
# afhandelt; **uvicorn** is de server die HTTP-verbindingen aanneemt en ze aan de FastAPI-app doorgeeft; een **worker**
# is een apart serverproces; **latency** is de tijd van versturen tot antwoord, en **p50/p95** zijn de mediaan en het
# 95e percentiel daarvan.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat. Ze definieert het model
# (`tiny_cnn`: drie convolutieblokken met BatchNorm, dan Dropout en een lineaire laag), de plaatjes (28×28 grijs,
# vier vormen) en `transform`, de voorbewerking uit het fragment: PNG-bytes → tensor met vorm `(1, 1, H, W)`.
#
# Twee hulpmiddelen uit `mlinfra.serving` doen het serverwerk: `with running_server(app) as server:` start de app op
# uvicorn op `127.0.0.1` op een vrije poort (in een achtergrondthread) en stopt hem altijd aan het eind van het
# `with`-blok, ook bij een fout; `run_load(url, num_requests=..., concurrency=...)` stuurt een begrensd aantal
# requests, met hoogstens `concurrency` tegelijk, en geeft per request de latency, de status en het antwoord terug.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de metingen worden dan kleiner of overgeslagen.

# %% nbgrader={"grade_id": "setup", "locked": true}
import copy
import inspect
import io
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from fastapi import FastAPI, File, HTTPException, UploadFile
from PIL import Image
from torch import nn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's TestClient warns about its httpx dependency on import
    from fastapi.testclient import TestClient

from mlinfra import HEAVY, seed_everything
from mlinfra.grading import looks_dutch, quiet
from mlinfra.models import saved_for_backward
from mlinfra.plots import set_style
from mlinfra.serving import port_is_open, rss_mb, run_load, running_server, running_worker_server

set_style()
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")

CLASSES = ["horizontaal", "verticaal", "diagonaal", "vierkant"]
MAX_UPLOAD_BYTES = 16 * 1024  # the largest upload the server accepts, in bytes


def tiny_cnn(width: int = 8, num_classes: int = 4, dropout: float = 0.5) -> nn.Sequential:
    """Three conv blocks with BatchNorm, global average pooling, Dropout and a linear head."""
    w = width
    return nn.Sequential(
        nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * w, num_classes))


def make_shapes(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` noisy 28x28 images (float in [0, 1], shape (n, 1, 28, 28)) of four shapes, labels int64 in 0..3."""
    g = torch.Generator().manual_seed(seed)
    X = torch.zeros(n, 1, 28, 28)
    y = (torch.arange(n) % 4)[torch.randperm(n, generator=g)]
    for img, label in zip(X[:, 0], y.tolist()):
        r, c = torch.randint(4, 24, (2,), generator=g).tolist()
        half = torch.randint(6, 11, (1,), generator=g).item()
        if label == 0:
            img[r - 1:r + 1, max(0, c - half):c + half] = 1
        elif label == 1:
            img[max(0, r - half):r + half, c - 1:c + 1] = 1
        elif label == 2:
            for d in range(-half, half):
                if 0 <= r + d < 28 and 0 <= c + d < 28:
                    img[r + d, c + d] = 1
        else:
            s = half // 2 + 2
            r0, c0, r1, c1 = max(0, r - s), max(0, c - s), min(27, r + s), min(27, c + s)
            img[r0, c0:c1 + 1] = img[r1, c0:c1 + 1] = 1
            img[r0:r1 + 1, c0] = img[r0:r1 + 1, c1] = 1
    X = (0.8 * X + 0.1 + 0.15 * torch.randn(X.shape, generator=g)).clamp(0, 1)
    return X, y


def to_png(img: torch.Tensor) -> bytes:
    """A (1, H, W) or (H, W) float image in [0, 1] as PNG bytes (8-bit grayscale)."""
    pixels = (img.reshape(img.shape[-2:]) * 255).round().to(torch.uint8).numpy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def transform(data: bytes) -> torch.Tensor:
    """The fragment's preprocessing: image bytes -> grayscale float tensor of shape (1, 1, H, W) in [0, 1]."""
    image = Image.open(io.BytesIO(data)).convert("L")
    return torch.from_numpy(np.array(image)).float().div(255).reshape(1, 1, image.height, image.width)


def png_upload(data: bytes, filename: str = "vorm.png", content_type: str = "image/png") -> dict:
    """The ``files=`` argument for an HTTP client: ``data`` as multipart form field ``file``."""
    return {"file": (filename, data, content_type)}


print(f"HEAVY = {HEAVY}, torch-threads = {torch.get_num_threads()}, MAX_UPLOAD_BYTES = {MAX_UPLOAD_BYTES}")

# %% [markdown]
# ## Het model en de data
#
# We trainen `tiny_cnn` kort op 1000 gegenereerde plaatjes en bewaren 200 plaatjes als testset.
# Dit getrainde `model` serveren we in alle demo's. (Tijdens het nakijken slaan we de training en de figuur over:
# de tests bouwen hun eigen modellen.)

# %%
num_train, num_test = (1000, 200) if HEAVY else (0, 32)
X, y = make_shapes(num_train + num_test, seed=0)
X_train, y_train, X_test, y_test = X[:num_train], y[:num_train], X[num_train:], y[num_train:]
g = seed_everything(0)
model = tiny_cnn()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()
num_steps = 60 if HEAVY else 0  # while grading, the demos need a model, not a good one (the tests build their own)
model.train()
for _ in range(num_steps):
    idx = torch.randint(0, len(X_train), (32,), generator=g)
    optimizer.zero_grad()
    loss_fn(model(X_train[idx]), y_train[idx]).backward()
    optimizer.step()
model.eval()
with torch.no_grad():
    test_acc = (model(X_test).argmax(1) == y_test).float().mean().item()
model.train()  # as load_model(...) in the fragment would hand it over: a freshly built module is in train mode
print(f"{num_steps} trainingsstappen op {num_train} plaatjes; accuracy op {num_test} testplaatjes in eval-modus: "
      f"{test_acc:.3f}")

if HEAVY:
    fig, axes = plt.subplots(1, 8, figsize=(8, 1.6))
    for ax, img, label in zip(axes, X_test, y_test.tolist()):
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=1)
        ax.set_title(CLASSES[label], fontsize=8)
        ax.axis("off")
    plt.show()
png = to_png(X_test[0])
print(f"een upload: PNG van {len(png)} bytes; transform(png) heeft vorm {tuple(transform(png).shape)}")

# %% [markdown]
# Voor de demo's bouwen we varianten van het fragment met één functie, `demo_app`. Met schakelaars zetten we telkens
# één reparatie aan of uit, zodat elk probleem apart te meten is. Elke variant krijgt ook `GET /health` (een
# endpoint dat alleen "ik leef" zegt, zoals een load balancer of Kubernetes het gebruikt). `watch` hangt aan het
# model een hook die bij elke forward noteert in welke thread hij draaide, in welke modus en of er een rekengraaf
# ontstond.

# %%
def demo_app(model: nn.Module, *, upload: bool = True, eval_mode: bool = False, no_grad: bool = False,
             async_endpoint: bool = False) -> FastAPI:
    """The fragment as an app; each switch turns on one fix (demo only: no validation of the upload)."""
    if eval_mode:
        model.eval()
    app = FastAPI()

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    def run_model(data: bytes) -> dict:
        tensor = transform(data)
        if no_grad:
            with torch.inference_mode():
                out = model(tensor)
        else:
            out = model(tensor)
        return {"pred": out.argmax().item()}

    if not upload:  # the fragment as written
        @app.post("/predict")
        def predict(image: bytes):
            return run_model(image)
    elif async_endpoint:
        @app.post("/predict")
        async def predict(file: UploadFile = File(...)):
            return run_model(await file.read())
    else:
        @app.post("/predict")
        def predict(file: UploadFile = File(...)):
            return run_model(file.file.read())
    return app


def watch(model: nn.Module) -> list[dict]:
    """Record thread, mode and autograd graph of every forward of ``model`` (a forward hook)."""
    calls: list[dict] = []

    def hook(module, args, out):
        calls.append({"thread": threading.current_thread().name, "thread_id": threading.get_ident(),
                      "training": module.training, "graph": out.requires_grad})

    model.register_forward_hook(hook)
    return calls


def served_copy() -> nn.Module:
    """A fresh copy of the trained model, in train mode as load_model would hand it over."""
    return copy.deepcopy(model).train()

# %% [markdown]
# ## Demo 1 — `image: bytes` is een query-parameter, geen upload
#
# We draaien het fragment letterlijk en sturen een PNG zoals elke client een bestand stuurt: als multipart-upload.

# %%
fragment = demo_app(served_copy(), upload=False)
with quiet(), running_server(fragment) as server:  # quiet(): the server log (a traceback for ?image=abc) stays hidden
    as_upload = run_load(server.url + "/predict", num_requests=1, concurrency=1, files=png_upload(png))
    as_body = run_load(server.url + "/predict", num_requests=1, concurrency=1, content=png,
                       headers={"content-type": "image/png"})
    as_query = run_load(server.url + "/predict", num_requests=1, concurrency=1, params={"image": "abc"})
    schema = run_load(server.url + "/openapi.json", method="GET", num_requests=1, concurrency=1).bodies[0]
print(f"server gestopt, poort {server.port} nog open? {port_is_open(server.port)}")
print(f"PNG als multipart-upload → {as_upload.statuses[0]}: {as_upload.bodies[0]}")
print(f"PNG als ruwe body        → {as_body.statuses[0]}: {as_body.bodies[0]}")
print(f"'abc' in de URL (?image=abc) → {as_query.statuses[0]} (de parameter wordt gevonden; transform faalt)")
print("OpenAPI-schema van /predict:", schema["paths"]["/predict"]["post"]["parameters"])

# %% [markdown]
# **Conclusie:** de PNG-upload én de ruwe body krijgen een **422** (`'loc': ['query', 'image']`, "Field required"):
# FastAPI leest een parameter van type `bytes` zonder `File(...)` uit de **query string** van de URL, zoals het
# OpenAPI-schema laat zien (`"in": "query"`). Alleen `?image=abc` komt binnen (en faalt dan in `transform`). Een
# bestand ontvang je met `file: UploadFile = File(...)` (of `file: bytes = File(...)`); daarvoor is het pakket
# `python-multipart` nodig. Vanaf hier repareren alle varianten dit, zodat we de volgende problemen kunnen zien.

# %% [markdown]
# ## Demo 2 — Zonder `eval()`: Dropout loot en BatchNorm leert van je klanten
#
# Het model komt uit `load_model` in train-modus (zo staat elke nieuw gebouwde `nn.Module`) en het fragment zet het
# nooit in eval-modus. Eerst in het proces zelf: de accuracy op de testset per modus, met telkens één plaatje per
# forward, zoals in de server.

# %%
def accuracy_one_by_one(net: nn.Module) -> float:
    """Accuracy on the test set with one image per forward (as the server does), without autograd."""
    with torch.no_grad():
        return sum(net(x[None]).argmax().item() == label for x, label in zip(X_test, y_test.tolist())) / len(y_test)


seed_everything(0)
net = served_copy()
rows = [("eval-modus", accuracy_one_by_one(net.eval()))]
rows.append(("train-modus (zoals het fragment)", accuracy_one_by_one(net.train())))
no_dropout = served_copy()
no_dropout[13].p = 0.0  # the Dropout layer switched off: only BatchNorm still differs between the modes
rows.append(("train-modus, Dropout uit (alleen BatchNorm)", accuracy_one_by_one(no_dropout)))
print(f"{'model':<45}{'accuracy, 1 plaatje per forward':>32}")
for name, acc in rows:
    print(f"{name:<45}{acc:>32.3f}")

# %% [markdown]
# Dan via de echte server: 20 keer hetzelfde plaatje, en we kijken naar de voorspellingen en naar de
# BatchNorm-buffers (`running_mean`, `num_batches_tracked`) van het geserveerde model.

# %%
if HEAVY:
    seed_everything(0)
    num_requests = 20
    served = served_copy()
    bn = served[1]  # the first BatchNorm2d
    mean_before, tracked_before = bn.running_mean.clone(), bn.num_batches_tracked.item()
    with running_server(demo_app(served, no_grad=True)) as server:
        result = run_load(server.url + "/predict", num_requests=num_requests, concurrency=1, files=png_upload(png))
    preds = [b["pred"] for b in result.bodies]
    with torch.no_grad():
        eval_pred = copy.deepcopy(served).eval()(transform(png)).argmax().item()
    print(f"eval-voorspelling voor dit plaatje: {eval_pred} ({CLASSES[eval_pred]})")
    print(f"{num_requests} requests in train-modus gaven: {preds}")
    print(f"  → {len(set(preds))} verschillende antwoorden, {sum(p == eval_pred for p in preds)}/{num_requests} gelijk "
          "aan eval")
    print(f"num_batches_tracked van BatchNorm: {tracked_before} (na de training) → {bn.num_batches_tracked.item()}")
    print(f"running_mean verschoven met max {(bn.running_mean - mean_before).abs().max():.4f}")
else:
    print("Overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** in train-modus daalt de accuracy uit de tabel van die in eval-modus naar bijna gokniveau, en
# hetzelfde plaatje krijgt bij herhaalde requests verschillende antwoorden. Ook zonder Dropout (derde rij) blijft de
# accuracy laag: BatchNorm normaliseert in train-modus elk plaatje met zijn *eigen* statistieken (een batch van 1)
# in plaats van met de running statistieken uit de training. Én elke request verandert het model: 20 requests
# verhoogden `num_batches_tracked` met 20 en verschoven `running_mean`. Wie later `eval()` aanzet, heeft een model dat
# door het verkeer van zijn klanten is bijgesteld. Het antwoordmodel noemt dit terecht.

# %% [markdown]
# ## Demo 3 — Zonder `inference_mode()`: elke request bouwt een rekengraaf
#
# `eval()` zet autograd niet uit (zie vraag 2). We meten per request (één plaatje) hoeveel bytes autograd bewaart
# voor een `backward()` die nooit komt (`saved_for_backward` uit `mlinfra.models` telt ze met
# `torch.autograd.graph.saved_tensors_hooks`), en de tijd per forward (mediaan van 50 na een opwarmronde).

# %%
net = served_copy().eval()
x = transform(png)


def median_ms(context, num_repeats: int) -> float:
    with context():
        net(x)  # warm-up
        times = []
        for _ in range(num_repeats):
            start = time.perf_counter()
            net(x)
            times.append(1000 * (time.perf_counter() - start))
    return float(np.median(times))


num_repeats = 50 if HEAVY else 5
print(f"{'forward onder':<26}{'bewaard voor backward':>24}{'tijd (mediaan)':>17}")
for name, context in (("niets (zoals het fragment)", torch.enable_grad), ("torch.no_grad()", torch.no_grad),
                      ("torch.inference_mode()", torch.inference_mode)):
    n_bytes = saved_for_backward(net, x, context)[1]  # mlinfra.models: bytes autograd keeps for backward
    print(f"{name:<26}{n_bytes / 1024:>20.1f} KiB{median_ms(context, num_repeats):>14.3f} ms")

# %% [markdown]
# Het antwoordmodel zegt "`eval()` + `no_grad()`". Waar je `no_grad()` zet, maakt uit: de autograd-modus geldt per
# **thread**. Zet je hem uit in de thread die de app bouwt, dan staat hij in de threads van de threadpool, waar FastAPI
# je endpoint draait, gewoon aan.

# %%
torch.set_grad_enabled(False)  # "globally", in this (main) thread
try:
    with ThreadPoolExecutor(1) as pool:
        in_pool = pool.submit(torch.is_grad_enabled).result()
    print(f"hoofdthread: grad aan? {torch.is_grad_enabled()};  thread uit een pool: grad aan? {in_pool}")
finally:
    torch.set_grad_enabled(True)

if HEAVY:
    served = served_copy().eval()
    calls = watch(served)
    torch.set_grad_enabled(False)  # the same mistake, now around a real server
    try:
        with running_server(demo_app(served, eval_mode=True)) as server:
            run_load(server.url + "/predict", num_requests=8, concurrency=4, files=png_upload(png))
    finally:
        torch.set_grad_enabled(True)
    print(f"server: {sum(c['graph'] for c in calls)}/{len(calls)} forwards bouwden toch een rekengraaf, "
          f"in {len({c['thread_id'] for c in calls})} threads met de naam {sorted({c['thread'] for c in calls})}")
else:
    print("De meting op een echte server is overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** zonder `no_grad`/`inference_mode` bewaart autograd per request de activaties uit de tabel (153,7 KiB
# bij dit kleine model; bij een echt beeldmodel megabytes, maal het aantal gelijktijdige requests), en de forward is
# meestal ook trager (de mediaan in de tabel). Die graaf wordt weer vrijgegeven als de request klaar is: het is geen lek, wel verspilling per
# request. En `torch.set_grad_enabled(False)` in de hoofdthread helpt niet: alle forwards in de threadpool bouwden
# nog steeds een graaf. Zet `torch.inference_mode()` dus **in** de functie die het model aanroept.

# %% [markdown]
# ## Demo 4 — De threadpool: gelijktijdige requests draaien je model tegelijk
#
# FastAPI draait een `def`-endpoint in een threadpool (standaard tot 40 threads); een `async def`-endpoint draait op
# de event loop, de ene thread die alle verbindingen bedient. We sturen 16 requests, 8 tegelijk, en kijken in welke
# threads het model draaide.

# %%
if HEAVY:
    threads_seen = {}
    for name, is_async in (("def", False), ("async def", True)):
        served = served_copy()
        calls = watch(served)
        with running_server(demo_app(served, eval_mode=True, no_grad=True, async_endpoint=is_async)) as server:
            run_load(server.url + "/predict", num_requests=16, concurrency=8, files=png_upload(png))
        threads_seen[name] = {c["thread_id"] for c in calls}
        print(f"{name + ' predict':<18}: model draaide in {len(threads_seen[name])} verschillende thread(s), "
              f"met de naam {sorted({c['thread'] for c in calls})}")
else:
    print("Overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** met `def` draaide het model in meerdere threads van de pool (de `AnyIO worker thread`s; het aantal
# staat hierboven), met `async def` in één thread: die van de server, waar ook de event loop draait. Hetzelfde
# modelobject wordt dus met `def` door meerdere threads tegelijk gebruikt.
#
# **4a. Een gedeeld model in train-modus: de eindtoestand hangt af van de volgorde.** Met een `def`-endpoint draaien
# meerdere forwards tegelijk op hetzelfde model, en in train-modus schrijven ze allemaal in dezelfde
# BatchNorm-buffers, zonder lock. We sturen twee keer dezelfde 24 verschillende plaatjes naar een server in
# train-modus: één voor één, en 8 tegelijk, en vergelijken de `running_mean` na run 1 en run 2.

# %%
uploads = [to_png(img) for img in X_test[:32]]
if HEAVY:
    start_state = copy.deepcopy(served_copy().state_dict())
    final = {}
    for concurrency in (1, 8):
        for run in (1, 2):
            served = served_copy()
            served.load_state_dict(start_state)
            with running_server(demo_app(served, no_grad=True)) as server:
                run_load(server.url + "/predict", num_requests=24, concurrency=concurrency,
                         request_for=lambda i: {"files": png_upload(uploads[i])})
            final[concurrency, run] = served[1].running_mean.clone()
    for concurrency in (1, 8):
        diff = (final[concurrency, 1] - final[concurrency, 2]).abs().max().item()
        print(f"{concurrency} tegelijk: max verschil in running_mean tussen run 1 en run 2 = {diff:.6f}")
else:
    print("Overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** één voor één geven twee runs exact dezelfde buffers (verschil 0); met 8 tegelijk verschillen ze,
# omdat de threads de plaatjes in een andere volgorde door het gedeelde model halen. (Of er ook updates verloren gaan,
# twee threads die tegelijk hetzelfde getal overschrijven, laat deze meting niet zien; niets in PyTorch beschermt
# ertegen, maar de volgorde-afhankelijkheid is al reden genoeg.) De oplossing is niet een lock, maar het model **read-only** maken:
# `eval()` + `inference_mode()`. Dan schrijft een forward niets en mogen threads tegelijk lezen.

# %% [markdown]
# **4b. `async def` met het model erin blokkeert de event loop.** Een breder model (`tiny_cnn(width=64)`) krijgt één
# groot plaatje van 256×256 (het fragment controleert de maat niet; `AdaptiveAvgPool2d` slikt elke maat), wat ruim
# rekenwerk kost. Terwijl die ene request loopt, vragen we 5 keer `GET /health` op, en meten hoe lang elke health
# check duurt.

# %%
if HEAVY:
    seed_everything(0)
    wide = tiny_cnn(width=64).eval()
    big_png = to_png(torch.rand(256, 256))
    health_ms = {}
    for name, is_async in (("def", False), ("async def", True)):
        with running_server(demo_app(wide, eval_mode=True, no_grad=True, async_endpoint=is_async)) as server:
            with ThreadPoolExecutor(1) as pool:
                slow = pool.submit(run_load, server.url + "/predict", num_requests=1, concurrency=1,
                                   files=png_upload(big_png))
                time.sleep(0.1)  # the big request is now being computed
                health = run_load(server.url + "/health", method="GET", num_requests=5, concurrency=1)
                slow_ms = slow.result().latencies_ms[0]
        health_ms[name] = health.latencies_ms
        print(f"{name + ' predict':<18}: de grote request duurde {slow_ms:6.0f} ms; GET /health in die tijd: "
              f"langste {max(health.latencies_ms):6.0f} ms, mediaan {health.percentile(50):5.0f} ms")
else:
    print("Overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** met `def` krijgt `/health` snel antwoord terwijl het model rekent; met `async def` wacht de eerste
# health check tot de forward klaar is: de "langste" hierboven is dan een groot deel van de duur van de grote
# request, in plaats van de gewone paar tientallen milliseconden. Een `async def`-endpoint blokkeert tijdens elke forward *alle* verbindingen: health checks,
# andere klanten, alles. Zwaar rekenwerk hoort in een thread: een `def`-endpoint, of `await run_in_threadpool(...)`.
#
# **4c. Threadpool × torch-threads: te veel threads voor te weinig cores.** Elke forward kan zelf weer
# `torch.get_num_threads()` threads gebruiken (intra-op parallellisme). Met 8 gelijktijdige requests en 4 torch-threads
# vragen tot 32 threads om de cores van deze machine. We meten p50/p95 van de latency (16 requests na een opwarmronde,
# plaatjes van 28×28 door het brede model) voor 1 torch-thread, evenveel als er cores zijn, en twee keer zoveel, met
# één request tegelijk en met 8 tegelijk.

# %%
if HEAVY:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    settings = sorted({1, cores, 2 * cores})
    num_requests = 16
    sweep = []
    try:
        for num_threads in settings:
            torch.set_num_threads(num_threads)
            with running_server(demo_app(wide, eval_mode=True, no_grad=True)) as server:
                run_load(server.url + "/predict", num_requests=4, concurrency=4,
                         files=png_upload(png))  # warm-up
                for concurrency in (1, 8):
                    r = run_load(server.url + "/predict", num_requests=num_requests, concurrency=concurrency,
                                 files=png_upload(png))
                    sweep.append({"threads": num_threads, "concurrency": concurrency, "p50": r.percentile(50),
                                  "p95": r.percentile(95), "rps": len(r.latencies_ms) / r.wall_s})
    finally:
        torch.set_num_threads(1)
    print(f"{cores} cores beschikbaar voor dit proces")
    print(f"{'torch-threads':>13}{'tegelijk':>10}{'rekenthreads':>14}{'p50 (ms)':>10}{'p95 (ms)':>10}{'requests/s':>12}")
    for row in sweep:
        print(f"{row['threads']:>13}{row['concurrency']:>10}{row['threads'] * row['concurrency']:>14}{row['p50']:>10.1f}"
              f"{row['p95']:>10.1f}{row['rps']:>12.1f}")
else:
    print("Overgeslagen tijdens het nakijken.")

# %%
if HEAVY:
    fig, ax = plt.subplots()
    for concurrency, color in ((1, "tab:blue"), (8, "tab:orange")):
        rows = [r for r in sweep if r["concurrency"] == concurrency]
        for q, style in (("p50", "o-"), ("p95", "s--")):
            ax.plot([r["threads"] for r in rows], [r[q] for r in rows], style, color=color,
                    label=f"{q}, {concurrency} request(s) tegelijk")
    ax.set_xticks(settings, [str(s) for s in settings])
    ax.set_xlabel("torch.set_num_threads")
    ax.set_ylabel("latency (ms)")
    ax.set_ylim(0, None)
    ax.set_title(f"Latency per request onder load, breed model, {cores} core(s)")
    ax.legend()
    plt.show()
    for concurrency in (1, 8):
        at = {r["threads"]: r for r in sweep if r["concurrency"] == concurrency}
        best = min(at.values(), key=lambda r: r["p95"])
        print(f"Gemeten, {concurrency} tegelijk: p95 met {settings[-1]} torch-threads {at[settings[-1]]['p95']:.0f} ms; "
              f"het laagst met {best['threads']} torch-thread(s): {best['p95']:.0f} ms.")
else:
    print("Overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** de kolom "rekenthreads" laat zien hoeveel threads er tegelijk willen rekenen: requests ×
# torch-threads, al snel veel meer dan het aantal cores. De twee regels onder de figuur vatten samen welke instelling
# op deze machine het snelst was. Op een rustige machine verwacht je dat boven het aantal cores extra torch-threads
# niets meer winnen en onder load zelfs kosten (threads die om dezelfde cores wisselen); deel je de machine met andere
# processen (Binder, een drukke server), dan kan het anders uitvallen, omdat meer threads dan ook een groter deel van
# de gedeelde cores pakken. Er is dus geen vaste goede waarde: meet op de machine waar je serveert en zet het aantal
# **bewust bij de start** van het proces (`torch.set_num_threads` of `OMP_NUM_THREADS`), niet per request. Timings
# wisselen per run; de tabel is wat hier gemeten is.

# %% [markdown]
# ## Demo 5 — Meerdere workers: elk proces zijn eigen model
#
# `uvicorn --workers 2` start twee processen die elk de app importeren. Ons app-bestand laadt het model **één keer
# per proces, bij het opstarten**, in de *lifespan* van de app (de functie die FastAPI bij start en stop draait), uit
# een `state_dict` op schijf. `GET /info` vertelt welk proces antwoordt en hoe vaak het het model laadde. Deze demo
# start echte processen die elk PyTorch importeren (enkele seconden); tijdens het nakijken slaan we haar over.

# %%
APP_SOURCE = '''
import os
from contextlib import asynccontextmanager

import torch
from fastapi import FastAPI
from torch import nn

LOADS = 0

{model_source}

@asynccontextmanager
async def lifespan(app: FastAPI):
    global LOADS
    torch.set_num_threads(1)  # chosen on purpose: parallelism comes from workers and requests
    model = tiny_cnn()
    model.load_state_dict(torch.load(os.environ["MODEL_PATH"], weights_only=True))
    app.state.model = model.eval()
    LOADS += 1
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/health")
def health() -> dict:
    return {{"status": "ok"}}


@app.get("/info")
def info() -> dict:
    return {{"pid": os.getpid(), "loads": LOADS, "parameters": sum(p.numel() for p in app.state.model.parameters())}}
'''

if HEAVY:
    with tempfile.TemporaryDirectory() as tmp:
        torch.save(model.state_dict(), Path(tmp) / "model.pt")
        (Path(tmp) / "serve_app.py").write_text(APP_SOURCE.format(model_source=inspect.getsource(tiny_cnn)))
        with running_worker_server(tmp, "serve_app:app", workers=2,
                                   env={"MODEL_PATH": str(Path(tmp) / "model.pt")}) as (url, proc):
            infos = {}
            deadline = time.monotonic() + 20
            while len(infos) < 2 and time.monotonic() < deadline:  # new connection each time: both workers answer
                info = run_load(url + "/info", method="GET", num_requests=1, concurrency=1).bodies[0]
                if info:
                    infos[info["pid"]] = info
            kernel_mb = rss_mb(os.getpid())
            worker_mb = {pid: rss_mb(pid) for pid in infos}
            master_mb = rss_mb(proc.pid)
        import uvicorn._subprocess

        print(f"uvicorn start zijn workers met multiprocessing-methode '{uvicorn._subprocess.spawn.get_start_method()}'")
        print(f"master (pid {proc.pid}): {master_mb:.0f} MB, importeert alleen uvicorn")
        for pid, info in infos.items():
            print(f"worker pid {pid}: model {info['loads']}× geladen, {info['parameters']} parameters, "
                  f"RSS {worker_mb[pid]:.0f} MB")
        print(f"ter vergelijking deze notebook-kernel: {kernel_mb:.0f} MB; "
              f"na afloop master nog actief? {proc.poll() is None}")
else:
    print("Overgeslagen tijdens het nakijken (start processen die elk PyTorch importeren).")

# %% [markdown]
# **Conclusie:** elke worker heeft zijn eigen pid, laadde het model precies één keer, en kost zelf honderden MB RSS
# (vooral PyTorch zelf; ons model is maar een paar duizend parameters). Twee workers = twee keer dat geheugen, en
# geen gedeelde toestand: een teller of cache in de ene worker ziet de andere niet. Dat deel van het antwoordmodel
# klopt.
#
# **Fork na torch.** uvicorn start zijn workers met *spawn* (zie de eerste regel hierboven): een vers Python-proces
# dat alles opnieuw importeert.
# Servers die *forken* na het laden van de app (gunicorn met `--preload`, of `multiprocessing` met `fork`) kopiëren
# een proces waarin PyTorch zijn OpenMP-threadpool al gestart heeft. We proberen het, in een apart proces met een
# tijdslimiet: eerst een fork vóór PyTorch parallel gerekend heeft, dan een erna.

# %%
FORK_SOURCE = '''
import multiprocessing as mp
import torch

def work(queue):
    a = torch.randn(256, 256)
    for _ in range(10):
        a @ a
    queue.put("klaar")

def fork_and_run(label):
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=work, args=(queue,))
    child.start()
    child.join(2)
    hung = child.is_alive()
    if hung:
        child.kill()
        child.join()
    print(f"{label}: kind {'hangt na 2 s (gestopt)' if hung else 'klaar'}")

if __name__ == "__main__":
    torch.set_num_threads(2)
    fork_and_run("fork vóór torch parallel rekende")
    a = torch.randn(1024, 1024)
    for _ in range(3):
        a @ a  # the parent now runs torch's OpenMP thread pool
    fork_and_run("fork ná torch parallel rekende ")
'''

if HEAVY:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "fork_demo.py").write_text(FORK_SOURCE)
        done = subprocess.run([sys.executable, "fork_demo.py"], cwd=tmp, capture_output=True, text=True, timeout=60)
    print(done.stdout.strip() or done.stderr[-1000:])
else:
    print("Overgeslagen tijdens het nakijken.")

# %% [markdown]
# **Conclusie:** het kind dat geforkt werd vóórdat PyTorch parallel rekende, maakt zijn werk af; het kind dat
# geforkt werd nádat de ouder de OpenMP-threadpool gebruikte, blijft hangen (met de GNU-OpenMP van de PyTorch-wheels
# op Linux): de threads van die pool bestaan in het kind niet, maar de administratie zegt van wel. Dit bijt dus bij
# fork-servers die het model vóór het forken laden én er al mee gerekend hebben (bijvoorbeeld een opwarm-forward).
# Laad het model per worker ná de fork (zoals in de lifespan hierboven), of zet in de ouder
# `torch.set_num_threads(1)` vóór de eerste forward.

# %% [markdown]
# ## Demo 6 — Foute invoer: een 500 met een traceback
#
# Het fragment controleert niets. Wat gebeurt er met bytes die geen plaatje zijn, een te groot bestand, of een
# plaatje met een andere maat?

# %%
bad_inputs = {
    "tekst in plaats van PNG": (b"dit is geen plaatje", "image/png"),
    "afgebroken PNG": (png[: len(png) // 2], "image/png"),
    "PNG van 64×64": (to_png(torch.rand(64, 64)), "image/png"),
    "PNG + 1 MiB opvulling": (png + bytes(2**20), "image/png"),
}
served = served_copy().eval()
rows = []
with quiet() as log:  # uvicorn writes the tracebacks to stderr; we count them instead of printing them
    with running_server(demo_app(served, eval_mode=True, no_grad=True)) as server:
        for name, (data, content_type) in bad_inputs.items():
            r = run_load(server.url + "/predict", num_requests=1, concurrency=1,
                         files=png_upload(data, content_type=content_type))
            rows.append((name, len(data), r.statuses[0], r.bodies[0]))
print(f"{'invoer':<26}{'bytes':>10}{'status':>8}  antwoord")
for name, size, status, body in rows:
    print(f"{name:<26}{size:>10}{status:>8}  {body if body is not None else '(geen JSON: Internal Server Error)'}")
print(f"\nde serverlog bevat {log.getvalue().count('Traceback')} tracebacks; de laatste regel:")
print("  " + [ln for ln in log.getvalue().splitlines() if ln.strip()][-1][:160])

# %% [markdown]
# **Conclusie:** tekst en een afgebroken PNG geven een **500** ("Internal Server Error", de fout staat alleen als
# traceback in de serverlog): de client hoort niet wát er mis is, en je monitoring telt een fout van de klant als een
# fout van de server. Erger: een plaatje van 64×64 krijgt een **200** met een voorspelling (het model middelt met
# `AdaptiveAvgPool2d` elke maat weg) en een upload van ruim 1 MiB wordt helemaal ingelezen en ook beantwoord. Dat zijn
# stille foute antwoorden. Controleer de grootte, of het een plaatje is en de maat, en antwoord met een 4xx en een
# duidelijke melding.

# %% [markdown]
# ## Het antwoordmodel, punt voor punt
#
# > *"FastAPI fragment threading-issues: als je meerdere uvicorn workers gebruikt draait elk proces zijn eigen model;
# > bij threads kunnen race conditions optreden als model mutable state wordt bewerkt (BatchNorm running stats) —
# > bewaar model in read-only mode (`eval()` + `no_grad()`), of zorg voor per-request kopie als nodig."*
#
# | bewering | oordeel | bewijs |
# |---|---|---|
# | meerdere workers: elk proces zijn eigen model | **klopt, onvolledig**: elk proces kost honderden MB, deelt geen toestand, en wie forkt na torch kan blijven hangen | demo 5 |
# | threads: race conditions op BatchNorm running stats | **klopt, onvolledig**: het model wordt al zonder threads bij elke request veranderd (en Dropout loot); met threads wordt de eindtoestand ook nog afhankelijk van de volgorde | demo 2, 4a |
# | read-only: `eval()` + `no_grad()` | **klopt**, mits `no_grad`/`inference_mode` *in* het endpoint staat: de autograd-modus geldt per thread | demo 3 |
# | "of een kopie per request" | **fout als advies**: met `eval()` + `inference_mode()` is het model al veilig te delen; een `deepcopy` per request kost tijd en geheugen (zie hieronder) en verbergt de fout | hieronder |
# | wat ontbreekt | `image: bytes` is een query-parameter (422 op elke upload); `async def` blokkeert alles; threadpool × torch-threads; foute invoer geeft een 500 | demo 1, 4b, 4c, 6 |

# %%
net = served_copy().eval()
x = transform(png)
num_repeats = 50 if HEAVY else 5
copy_ms, forward_ms = [], []
with torch.inference_mode():
    for _ in range(num_repeats + 1):
        start = time.perf_counter()
        copied = copy.deepcopy(net)
        middle = time.perf_counter()
        copied(x)
        end = time.perf_counter()
        copy_ms.append(1000 * (middle - start))
        forward_ms.append(1000 * (end - middle))
copy_median, forward_median = np.median(copy_ms[1:]), np.median(forward_ms[1:])
print(f"per request: deepcopy van het model {copy_median:.3f} ms, forward {forward_median:.3f} ms "
      f"(mediaan van {num_repeats}); de kopie kost {copy_median / forward_median:.1f}× de forward")

# %% [markdown]
# **Conclusie:** al bij dit kleine model kost een kopie per request een veelvoud van de forward zelf (de verhouding
# staat hierboven), en elke kopie neemt evenveel geheugen in als het model. Bij een model van honderden MB is het
# onbruikbaar.

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt de modellen en plaatjes voor de tests. `ProbeNet` is `tiny_cnn` met een
# logboek: het telt per forward of het model in train-modus stond en of er een rekengraaf ontstond, en het telt
# kopieën, herladen en modus-wissels (`eval()`/`train()`). Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
class ProbeNet(nn.Sequential):
    """tiny_cnn that logs, for the whole class, every forward (mode, autograd graph), every copy or reload and every
    mode switch (train/eval), and which instances answered a forward since the last reset()."""

    lock = threading.Lock()
    log: dict = {}
    gate: dict | None = None  # when set, the next forward waits until gate["release"] is set (at most 2 s)
    instances: "weakref.WeakSet[ProbeNet]" = weakref.WeakSet()
    served: "weakref.WeakSet[ProbeNet]" = weakref.WeakSet()

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.log = {"forwards": 0, "train_forwards": 0, "graph_forwards": 0, "new_instances": 0, "reloads": 0,
                       "mode_switches": 0}
            cls.served = weakref.WeakSet()

    @classmethod
    def count(cls, key: str) -> None:
        with cls.lock:
            cls.log[key] += 1

    def __init__(self, *layers: nn.Module):
        super().__init__(*layers)
        ProbeNet.instances.add(self)
        ProbeNet.count("new_instances")

    def __setstate__(self, state: dict) -> None:  # copy.deepcopy, pickle and torch.load all come through here
        super().__setstate__(state)
        ProbeNet.instances.add(self)
        ProbeNet.count("new_instances")

    def load_state_dict(self, *args, **kwargs):
        ProbeNet.count("reloads")
        return super().load_state_dict(*args, **kwargs)

    def train(self, mode: bool = True) -> "ProbeNet":  # eval() is train(False)
        ProbeNet.count("mode_switches")
        return super().train(mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = ProbeNet.gate
        if gate is not None and not gate["started"].is_set():
            gate["started"].set()
            gate["release"].wait(2.0)
        out = super().forward(x)
        with ProbeNet.lock:
            ProbeNet.log["forwards"] += 1
            ProbeNet.log["train_forwards"] += any(m.training for m in self.modules())
            ProbeNet.log["graph_forwards"] += out.requires_grad
            ProbeNet.served.add(self)
        if gate is not None:
            gate["done"].set()
        return out


ProbeNet.reset()


def make_probe(seed: int, plain: bool = False) -> ProbeNet:
    """A seeded ProbeNet with BatchNorm statistics warmed up, handed over in train mode (as a fresh module is).

    ``plain=True`` leaves out BatchNorm and Dropout, so that train and eval mode compute the same function. The bias
    of the last layer is centred on the eval-mode outputs for sample images, so that the predicted class depends on
    the image (an untrained net predicts nearly the same class for every image).
    """
    seed_everything(seed)
    layers = [m for m in tiny_cnn() if not (plain and isinstance(m, (nn.BatchNorm2d, nn.Dropout)))]
    probe = ProbeNet(*layers)
    with torch.no_grad():
        for _ in range(3):
            probe(torch.rand(16, 1, 28, 28))
        probe.eval()
        probe[-1].bias -= probe(make_shapes(64, seed=seed)[0]).mean(dim=0)
    return probe.train()


def served_in_train_mode() -> int:
    """How many of the ProbeNets that answered a forward since the last reset() have a layer in train mode now."""
    return sum(any(m.training for m in p.modules()) for p in list(ProbeNet.served))


def with_other_answer(probe: ProbeNet, data: bytes) -> ProbeNet:
    """A new probe like ``probe`` whose eval-mode prediction for ``data`` is another class than that of ``probe``."""
    other = copy.deepcopy(probe)
    with torch.no_grad():
        other[-1].bias[(expected_pred(probe, data) + 1) % 4] += 1000.0
    return other


def as_image(data: bytes, fmt: str, mode: str | None = None) -> bytes:
    """The image in ``data`` saved again as ``fmt`` (e.g. "JPEG"), converted to ``mode`` (e.g. "RGBA") if given."""
    image = Image.open(io.BytesIO(data))
    buffer = io.BytesIO()
    (image.convert(mode) if mode else image).save(buffer, format=fmt)
    return buffer.getvalue()


def expected_pred(probe: nn.Module, data: bytes) -> int:
    """The eval-mode prediction of ``probe`` for image bytes ``data`` (the probe is left in the mode it was in)."""
    was_training = probe.training
    probe.eval()
    with torch.no_grad():
        pred = probe(transform(data)).argmax().item()
    probe.train(was_training)
    return pred


def sample_pngs(seed: int, n: int) -> list[bytes]:
    return [to_png(img) for img in make_shapes(n, seed=seed)[0]]


RESPONSE_TIMEOUT_S = 10.0  # TestClient has no timeout of its own: a test stops waiting for a hanging app after this


class InThread:
    """``fn()`` running in a daemon thread, so that a test can stop waiting for an app that hangs."""

    def __init__(self, fn, name: str = "test-request"):
        self.outcome: dict = {}
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True, name=name)
        self.thread.start()

    def _run(self, fn) -> None:
        try:
            self.outcome["value"] = fn()
        except BaseException as exc:  # handed to the waiting test by result()
            self.outcome["error"] = exc

    def result(self, what: str, seconds: float = RESPONSE_TIMEOUT_S):
        """What ``fn`` returned or raised; an AssertionError when it has not finished within ``seconds``."""
        self.thread.join(seconds)
        if self.thread.is_alive():
            raise AssertionError(
                f"{what}: na {seconds:.0f} s nog geen antwoord, de app blijft hangen. Tip: wacht een request op iets "
                "dat nooit komt, bijvoorbeeld een lock dat na een fout (HTTPException) niet meer wordt vrijgegeven?")
        if "error" in self.outcome:
            raise self.outcome["error"]
        return self.outcome["value"]


class BoundedClient:
    """FastAPI's TestClient with a time limit on start-up, on every request and on shutdown."""

    def __init__(self, app: FastAPI):
        self.client = TestClient(app, raise_server_exceptions=False)

    def __enter__(self) -> "BoundedClient":
        InThread(self.client.__enter__).result("Het starten van de app (lifespan)")
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        stopping = InThread(lambda: self.client.__exit__(exc_type, exc, tb))
        if exc_type is None:
            stopping.result("Het stoppen van de app")
        else:  # the test already failed: report that failure, not a shutdown that hangs behind it
            stopping.thread.join(2.0)

    def get(self, path: str):
        return InThread(lambda: self.client.get(path)).result(f"GET {path}")

    def post(self, path: str, **kwargs):
        return InThread(lambda: self.client.post(path, **kwargs)).result(f"POST {path}")


def upload(client: BoundedClient, data: bytes, content_type: str = "image/png"):
    return client.post("/predict", files=png_upload(data, content_type=content_type))


def concurrent_uploads(client: BoundedClient, images: list[bytes], num_threads: int = 8) -> list:
    """Upload ``images`` from ``num_threads`` threads at once; the responses in the order of ``images``."""
    def send_all() -> list:
        responses: list = [None] * len(images)

        def send(first: int) -> None:
            for i in range(first, len(images), num_threads):
                responses[i] = client.client.post("/predict", files=png_upload(images[i]))

        senders = [InThread(lambda first=first: send(first)) for first in range(min(num_threads, len(images)))]
        for sender in senders:
            sender.result("Een upload", seconds=None)  # the limit is on send_all as a whole
        return responses

    return InThread(send_all).result(f"{len(images)} gelijktijdige uploads")


def all_probe_buffers() -> dict[int, dict[str, torch.Tensor]]:
    """A copy of the buffers of every ProbeNet alive (the one handed over and any copy the app made)."""
    return {id(p): {k: b.detach().clone() for k, b in p.named_buffers()} for p in list(ProbeNet.instances)}


def buffers_unchanged(before: dict[int, dict[str, torch.Tensor]]) -> bool:
    now = all_probe_buffers()
    return all(torch.equal(now[pid][k], b) for pid, bufs in before.items() if pid in now for k, b in bufs.items())


def padded_png(data: bytes, size: int) -> bytes:
    """A valid PNG padded with zero bytes after its end to exactly ``size`` bytes (image readers ignore the tail)."""
    return data + bytes(size - len(data))


def is_4xx_with_message(response) -> bool:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return False
    return 400 <= response.status_code < 500 and isinstance(detail, str) and bool(detail.strip())


def is_dutch_4xx(response) -> bool:
    return is_4xx_with_message(response) and looks_dutch(response.json()["detail"])

# %% [markdown]
# ### Oefening 1 — Een server die gelijktijdige requests aankan (9 punten)
#
# Schrijf `create_app(model)`. `model` is een `nn.Module` zoals `tiny_cnn()` (klaar geladen, in train-modus, zoals
# `load_model` hem aflevert). De functie geeft een `FastAPI`-app terug met twee endpoints:
#
# - `GET /health` antwoordt `200` met `{"status": "ok"}`.
# - `POST /predict` ontvangt een plaatje als multipart-upload in het formulierveld **`file`** en antwoordt `200` met
#   `{"pred": <int>}`: de klasse met de grootste uitvoer van het model voor `transform(<de bytes>)`.
#
# Eisen (de tests controleren elk ervan):
# 1. **Correct en deterministisch:** de voorspelling is die van het model in eval-modus, voor elk plaatje apart;
#    32 gelijktijdige requests voor hetzelfde plaatje geven alle 32 hetzelfde, juiste antwoord. Elk plaatje van
#    28×28 dat `transform` kan lezen is goed: PNG of JPEG, grijs of in kleur, met alfakanaal of palet (`transform`
#    zet het om naar grijswaarden). Of het een plaatje is, bepalen de bytes, niet het content-type dat de client
#    meestuurt: een PNG met content-type `application/octet-stream` krijgt ook een voorspelling.
#    Elke app gebruikt het model dat jij aan `create_app` gaf: twee apps met verschillende modellen naast elkaar
#    geven elk het antwoord van hun eigen model (bewaar dus niets op moduleniveau dat een volgende app overneemt).
# 2. **Read-only:** requests veranderen geen enkele BatchNorm-buffer en bouwen geen rekengraaf (autograd), en na
#    een request staat het model nog in eval-modus (ook tussen twee requests zet je het niet terug met `train()`).
# 3. **Eén keer klaarzetten:** het model wordt bij `create_app` (of in de lifespan) één keer klaargezet; per request
#    wordt het niet gekopieerd, opnieuw gebouwd of herladen (`deepcopy`, `load_state_dict`, `torch.load`) en wordt
#    zijn modus niet omgezet (`eval()`/`train()` hoort bij het klaarzetten, niet bij elke request).
# 4. **Niet blokkeren:** terwijl het model een request verwerkt, krijgt `GET /health` gewoon antwoord.
# 5. **Foute invoer → 4xx met melding:** een upload die groter is dan `MAX_UPLOAD_BYTES` bytes (precies
#    `MAX_UPLOAD_BYTES` mag nog), die leeg is, die geen leesbaar plaatje is (ook een afgebroken PNG) of die niet 28×28
#    pixels is, krijgt een status tussen 400 en 499 met als JSON `{"detail": "<een Nederlandse melding>"}` (dat doet
#    `HTTPException(status_code, detail)`), nooit een 500, een 200 of een voorspelling. Daarna werkt de server gewoon
#    verder. De tests herkennen een Nederlandse melding aan gewone Nederlandse woorden ("het bestand is te groot",
#    "geen geldig plaatje"); een Engelse melding telt niet.
# 6. Is `model` geen `nn.Module`-object, dan gooit `create_app` meteen een `TypeError` met een Nederlandse melding.
# 7. **Nooit blijven hangen:** elke request krijgt binnen 10 s antwoord, ook na een foute upload en ook als er andere
#    requests tegelijk lopen. Langer wachten de tests niet: een test waarin een request blijft hangen, faalt.
#
# Serveer het model zelf (het object dat je krijgt, of één kopie die je bij het starten maakt), geen omgezette versie
# zoals TorchScript, ONNX of `torch.compile`: daar gaat vraag 9 over, en de tests kijken mee in de forward van het
# model.
#
# Tip: gebruik de metingen uit de demo's. De tests draaien de app met FastAPI's `TestClient` en één keer op een echte
# uvicorn-server.

# %% nbgrader={"grade_id": "create_app", "solution": true}
def create_app(model: nn.Module) -> FastAPI:
    """A FastAPI app serving ``model``: ``POST /predict`` (upload field ``file``) and ``GET /health``."""
    ### BEGIN SOLUTION
    if not isinstance(model, nn.Module):
        raise TypeError(f"model moet een torch.nn.Module-object zijn, niet {type(model).__name__}")
    model.eval()  # read-only from here on: BatchNorm uses its running statistics, Dropout is the identity
    app = FastAPI(title="Vormenherkenner")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(file: UploadFile = File(...)) -> dict:
        # A plain def: FastAPI runs it in its thread pool, so the event loop stays free while the model computes.
        data = file.file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"het bestand is groter dan {MAX_UPLOAD_BYTES} bytes")
        if not data:
            raise HTTPException(400, "het bestand is leeg")
        try:
            tensor = transform(data)
        except (OSError, ValueError, Image.DecompressionBombError):  # UnidentifiedImageError is an OSError
            raise HTTPException(415, "het bestand is geen leesbaar plaatje (verwacht een PNG of JPEG)") from None
        if tuple(tensor.shape) != (1, 1, 28, 28):
            raise HTTPException(422, f"het plaatje moet 28×28 pixels zijn, niet {tensor.shape[-1]}×{tensor.shape[-2]}")
        with torch.inference_mode():
            logits = model(tensor)
        return {"pred": int(logits.argmax(dim=1).item())}

    return app
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_predict_accepts_upload", "grade": true, "points": 1}
"""Checks that POST /predict takes a multipart upload in field 'file' and answers {"pred": int} with the right class."""
with quiet():
    probe = make_probe(seed=1, plain=True)
    images = sample_pngs(seed=1, n=4)
    with BoundedClient(create_app(probe)) as client:
        response = upload(client, images[0])
        assert response.status_code == 200, (
            f"Een PNG-upload in het veld 'file' gaf status {response.status_code}: {response.text[:200]}. Tip: hoe "
            "leest FastAPI een parameter van type bytes zonder File(...)? Zie demo 1.")
        body = response.json()
        assert isinstance(body, dict) and type(body.get("pred")) is int, (
            f"Het antwoord moet {{'pred': <int>}} zijn, niet {body!r}.")
        assert body["pred"] == expected_pred(probe, images[0]), (
            "De voorspelling klopt niet. Tip: gebruik transform(<de bytes>) en de klasse met de grootste uitvoer.")
        ### BEGIN HIDDEN TESTS
        for data in images[1:]:
            response = upload(client, data)
            assert response.status_code == 200 and response.json()["pred"] == expected_pred(probe, data), (
                f"Upload gaf status {response.status_code} of een verkeerde voorspelling. Tip: werkt het voor elk "
                "plaatje, niet alleen het eerste?")
        variants = {"een kleurenplaatje (RGB)": (as_image(images[1], "PNG", "RGB"), "image/png"),
                    "een PNG met alfakanaal (RGBA)": (as_image(images[2], "PNG", "RGBA"), "image/png"),
                    "een PNG met palet (P)": (as_image(images[3], "PNG", "P"), "image/png"),
                    "een JPEG": (as_image(images[1], "JPEG"), "image/jpeg"),
                    "een PNG met content-type application/octet-stream": (images[2], "application/octet-stream")}
        for name, (data, content_type) in variants.items():
            response = upload(client, data, content_type=content_type)
            assert response.status_code == 200, (
                f"{name} van 28×28 gaf status {response.status_code}: {response.text[:120]}. Tip: alles wat transform "
                "kan lezen is goed; het content-type dat de client opgeeft, telt niet.")
            assert response.json()["pred"] == expected_pred(probe, data), (
                f"{name} kreeg een verkeerde voorspelling. Tip: gebruik je transform op de ruwe bytes?")
        other = with_other_answer(probe, images[0])
        with BoundedClient(create_app(other)) as other_client:
            answers = [upload(other_client, images[0]), upload(client, images[0])]
        assert [r.status_code for r in answers] == [200, 200], (
            f"Twee apps naast elkaar gaven de statussen {[r.status_code for r in answers]}.")
        own_answers = [expected_pred(other, images[0]), expected_pred(probe, images[0])]
        assert [r.json()["pred"] for r in answers] == own_answers, (
            "Twee apps met verschillende modellen gaven voor hetzelfde plaatje niet elk het antwoord van hun eigen "
            "model. Tip: bewaart je code iets buiten create_app (op moduleniveau) dat een volgende app overneemt?")
        ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_concurrent_requests_agree", "grade": true, "points": 1}
"""Checks that concurrent requests for one image all get the eval-mode prediction (no forward in train mode)."""
with quiet():
    probe = make_probe(seed=2)
    data = sample_pngs(seed=2, n=1)[0]
    expected = expected_pred(probe, data)
    with BoundedClient(create_app(probe)) as client:
        ProbeNet.reset()
        responses = concurrent_uploads(client, [data] * 8)
        left_in_train_mode = served_in_train_mode()
    assert all(r.status_code == 200 for r in responses), (
        f"Niet elke request gaf 200: {sorted({r.status_code for r in responses})}.")
    assert left_in_train_mode == 0, (
        "Na de requests staat het model dat antwoordde (deels) in train-modus: een request die op dat moment loopt, "
        "rekent dan in train-modus. Tip: zet je het model ergens terug met train()?")
    assert ProbeNet.log["train_forwards"] == 0, (
        f"{ProbeNet.log['train_forwards']} van de {ProbeNet.log['forwards']} forwards draaiden met lagen in "
        "train-modus. Tip: in welke modus levert load_model het model af? Zie demo 2.")
    assert [r.json()["pred"] for r in responses] == [expected] * 8, (
        "Gelijktijdige requests voor hetzelfde plaatje gaven niet allemaal de eval-voorspelling.")
    ### BEGIN HIDDEN TESTS
    # 32 concurrent requests on a real uvicorn server with a real HTTP client (httpx).
    probe = make_probe(seed=12)
    data = sample_pngs(seed=12, n=1)[0]
    expected = expected_pred(probe, data)
    with running_server(create_app(probe), shutdown_timeout=2.0) as server:
        ProbeNet.reset()
        result = run_load(server.url + "/predict", num_requests=32, concurrency=8, timeout=5.0, max_seconds=10.0,
                          files=png_upload(data))
        assert result.statuses == [200] * 32, (
            f"Op uvicorn gaven 32 gelijktijdige requests de statussen {sorted(set(result.statuses))} (0: geen "
            f"antwoord binnen 5 s, {result.skipped} niet verstuurd).")
        assert ProbeNet.log["train_forwards"] == 0 and served_in_train_mode() == 0, (
            f"{ProbeNet.log['train_forwards']} forwards draaiden in train-modus, of het model staat na de requests in "
            "train-modus. Tip: in welke modus levert load_model het model af, en zet je het ergens terug?")
        assert [b["pred"] for b in result.bodies] == [expected] * 32, (
            "32 gelijktijdige requests voor hetzelfde plaatje gaven niet allemaal de eval-voorspelling.")
    assert not port_is_open(server.port), "De uvicorn-server is niet gestopt."
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_requests_keep_batchnorm_buffers", "grade": true, "points": 1}
"""Checks that requests change no BatchNorm buffer and leave the model in eval mode, so no later forward can."""
with quiet():
    probe = make_probe(seed=3)
    images = sample_pngs(seed=3, n=5)
    with BoundedClient(create_app(probe)) as client:
        before = all_probe_buffers()
        ProbeNet.reset()
        responses = [upload(client, data) for data in images]
        assert all(r.status_code == 200 for r in responses), "Niet elke upload gaf status 200."
        assert buffers_unchanged(before), (
            "Na 5 requests zijn BatchNorm-buffers van het model veranderd. Tip: wanneer werkt BatchNorm zijn "
            "running statistieken bij? Zie demo 2.")
        assert served_in_train_mode() == 0, (
            "Na de requests staat het model (deels) in train-modus: de volgende forward werkt de BatchNorm-buffers "
            "dan weer bij. Tip: zet je het model ergens terug met train()?")
    ### BEGIN HIDDEN TESTS
    probe = make_probe(seed=13)
    with BoundedClient(create_app(probe)) as client:
        before = all_probe_buffers()
        ProbeNet.reset()
        responses = concurrent_uploads(client, sample_pngs(seed=13, n=32))
        left_in_train_mode = served_in_train_mode()
    assert [r.status_code for r in responses] == [200] * 32, (
        f"Niet elke gelijktijdige upload gaf 200: {sorted({r.status_code for r in responses})}.")
    assert left_in_train_mode == 0, "Na 32 gelijktijdige requests staat het model (deels) in train-modus."
    assert buffers_unchanged(before), (
        "Na 32 gelijktijdige requests zijn BatchNorm-buffers veranderd. Tip: wanneer werkt BatchNorm zijn running "
        "statistieken bij?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_requests_build_no_graph", "grade": true, "points": 1}
"""Checks that no request builds an autograd graph."""
with quiet():
    probe = make_probe(seed=4)
    images = sample_pngs(seed=4, n=3)
    with BoundedClient(create_app(probe)) as client:
        ProbeNet.reset()
        responses = [upload(client, data) for data in images]
    assert all(r.status_code == 200 for r in responses) and ProbeNet.log["forwards"] >= 3, (
        "De requests kwamen niet (allemaal) bij het model.")
    assert ProbeNet.log["graph_forwards"] == 0, (
        f"{ProbeNet.log['graph_forwards']} van de {ProbeNet.log['forwards']} forwards bouwden een rekengraaf. Tip: "
        "eval() zet autograd niet uit, en de autograd-modus geldt per thread (demo 3).")
    ### BEGIN HIDDEN TESTS
    probe = make_probe(seed=14)
    with BoundedClient(create_app(probe)) as client:
        ProbeNet.reset()
        responses = concurrent_uploads(client, sample_pngs(seed=14, n=16))
    assert [r.status_code for r in responses] == [200] * 16, (
        f"Niet elke gelijktijdige request gaf 200: {sorted({r.status_code for r in responses})}.")
    assert ProbeNet.log["forwards"] >= 16 and ProbeNet.log["graph_forwards"] == 0, (
        f"{ProbeNet.log['graph_forwards']} van de {ProbeNet.log['forwards']} forwards bouwden een rekengraaf "
        "(of niet alle requests kwamen bij het model). Tip: in welke thread geldt de autograd-modus?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_model_prepared_once", "grade": true, "points": 1}
"""Checks that requests never copy, rebuild, reload or switch the mode of the model."""
with quiet():
    probe = make_probe(seed=5)
    images = sample_pngs(seed=5, n=4)
    with BoundedClient(create_app(probe)) as client:
        ProbeNet.reset()
        responses = [upload(client, data) for data in images]
    assert all(r.status_code == 200 for r in responses) and ProbeNet.log["forwards"] >= 4, (
        "De requests kwamen niet (allemaal) bij het model.")
    assert ProbeNet.log["new_instances"] == 0 and ProbeNet.log["reloads"] == 0, (
        f"Tijdens 4 requests werd het model {ProbeNet.log['new_instances']}× gekopieerd of gebouwd en "
        f"{ProbeNet.log['reloads']}× herladen. Tip: wat kost een kopie per request, en is hij nog nodig als het "
        "model read-only is?")
    assert ProbeNet.log["mode_switches"] == 0, (
        f"Tijdens 4 requests werd de modus van het model {ProbeNet.log['mode_switches']}× omgezet (eval()/train()). "
        "Tip: alle threads delen één model; wanneer zet je het klaar?")
    ### BEGIN HIDDEN TESTS
    probe = make_probe(seed=15)
    with BoundedClient(create_app(probe)) as client:
        ProbeNet.reset()
        responses = concurrent_uploads(client, sample_pngs(seed=15, n=12))
        assert [r.status_code for r in responses] == [200] * 12, (
            f"Niet elke gelijktijdige request gaf 200: {sorted({r.status_code for r in responses})}.")
        assert ProbeNet.log["new_instances"] == 0 and ProbeNet.log["reloads"] == 0, (
            f"Tijdens gelijktijdige requests werd het model {ProbeNet.log['new_instances']}× gekopieerd of gebouwd en "
            f"{ProbeNet.log['reloads']}× herladen. Tip: is een kopie per request nodig als het model read-only is?")
        assert ProbeNet.log["mode_switches"] == 0, (
            f"Tijdens gelijktijdige requests werd de modus van het model {ProbeNet.log['mode_switches']}× omgezet.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_health_answers_while_predicting", "grade": true, "points": 1}
"""Checks that GET /health answers while the model is busy with a predict request."""
with quiet():
    probe = make_probe(seed=6, plain=True)
    data = sample_pngs(seed=6, n=1)[0]
    with BoundedClient(create_app(probe)) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json() == {"status": "ok"}, (
            f"GET /health moet 200 met {{'status': 'ok'}} geven, niet {health.status_code}: {health.text[:100]}")
        ProbeNet.gate = gate = {"started": threading.Event(), "release": threading.Event(), "done": threading.Event()}
        try:
            pending = InThread(lambda: upload(client, data))
            assert gate["started"].wait(3), "De predict-request kwam niet bij het model."
            health = client.get("/health")
            model_still_busy = not gate["done"].is_set()
            gate["release"].set()
            predicted = pending.result("POST /predict naast GET /health")
        finally:
            ProbeNet.gate = None
            gate["release"].set()
    assert health.status_code == 200 and model_still_busy, (
        "GET /health kreeg pas antwoord toen het model klaar was: het model blokkeert de event loop. Tip: waar draait "
        "FastAPI een async def-endpoint, en waar een def-endpoint? Zie demo 4b.")
    ### BEGIN HIDDEN TESTS
    assert predicted.status_code == 200 and predicted.json()["pred"] == expected_pred(probe, data), (
        f"De predict-request naast /health gaf status {predicted.status_code} of een verkeerde voorspelling. Tip: "
        "komt de voorspelling nog goed terug als /health tussendoor antwoordt?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_bad_upload_gets_4xx", "grade": true, "points": 1}
"""Checks that an upload that is not a readable 28x28 image gets a 4xx with a message, and the server keeps working."""
with quiet():
    probe = make_probe(seed=7, plain=True)
    good = sample_pngs(seed=7, n=1)[0]
    with BoundedClient(create_app(probe)) as client:
        response = upload(client, b"dit is geen plaatje")
        assert is_4xx_with_message(response), (
            f"Tekst in plaats van een plaatje gaf {response.status_code}: {response.text[:120]}. Verwacht een 4xx met "
            "{'detail': '<melding>'}. Tip: welke fout gooit transform, en hoe maak je daar een HTTPException van?")
        assert looks_dutch(response.json()["detail"]), (
            f"De melding {response.json()['detail']!r} lijkt niet Nederlands. Tip: schrijf een gewone Nederlandse zin, "
            "bijvoorbeeld met 'bestand' of 'plaatje'.")
        ### BEGIN HIDDEN TESTS
        truncated = good[: len(good) // 2]
        wrong_size = to_png(torch.rand(32, 32))
        noise = bytes(np.random.default_rng(7).integers(0, 256, 500, dtype=np.uint8))
        for name, data in (("leeg", b""), ("ruis", noise), ("afgebroken PNG", truncated), ("32x32", wrong_size)):
            response = upload(client, data)
            assert is_dutch_4xx(response), (
                f"{name}: status {response.status_code}, {response.text[:120]}. Verwacht een 4xx met een Nederlandse "
                "melding in 'detail'.")
            assert "Traceback" not in response.text, (
                f"{name}: het antwoord bevat een Traceback. Tip: vang de fout af en geef alleen een korte "
                "melding terug.")
        response = upload(client, good)
        assert response.status_code == 200 and response.json()["pred"] == expected_pred(probe, good), (
            f"Een geldige PNG na foute uploads gaf status {response.status_code} of een verkeerde voorspelling. Tip: "
            "blijft de app werken na een fout?")
        ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_oversized_upload_gets_4xx", "grade": true, "points": 1}
"""Checks that an upload larger than MAX_UPLOAD_BYTES gets a 4xx with a message."""
with quiet():
    probe = make_probe(seed=8, plain=True)
    good = sample_pngs(seed=8, n=1)[0]
    with BoundedClient(create_app(probe)) as client:
        response = upload(client, padded_png(good, MAX_UPLOAD_BYTES + 1))
        assert is_4xx_with_message(response), (
            f"Een geldige PNG van {MAX_UPLOAD_BYTES + 1} bytes gaf {response.status_code}: {response.text[:120]}. "
            "Verwacht een 4xx met {'detail': '<melding>'}. Tip: een plaatje lezen lukt ook als het bestand te groot "
            "is; kijk naar het aantal bytes.")
        assert looks_dutch(response.json()["detail"]), (
            f"De melding {response.json()['detail']!r} lijkt niet Nederlands. Tip: schrijf een gewone Nederlandse zin.")
        ### BEGIN HIDDEN TESTS
        response = upload(client, padded_png(good, MAX_UPLOAD_BYTES))
        assert response.status_code == 200, f"precies MAX_UPLOAD_BYTES bytes mag nog, kreeg {response.status_code}"
        assert response.json()["pred"] == expected_pred(probe, good), (
            "Een PNG van precies MAX_UPLOAD_BYTES kreeg een verkeerde voorspelling. Tip: lees je alle bytes van de "
            "upload?")
        response = upload(client, padded_png(good, 2**20))
        assert is_dutch_4xx(response), (
            f"Een upload van 1 MiB gaf {response.status_code}: {response.text[:120]}. Verwacht een 4xx met "
            "{'detail': '<Nederlandse melding>'}. Tip: kijk naar het aantal bytes.")
        ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_create_app_rejects_non_model", "grade": true, "points": 1}
"""Checks that create_app raises a TypeError when model is not an nn.Module object."""
with quiet():
    try:
        create_app("model.pt")
    except TypeError as exc:
        assert str(exc).strip(), "Geef de TypeError een duidelijke melding mee."
        assert looks_dutch(str(exc)), (
            f"De melding {str(exc)!r} lijkt niet Nederlands. Tip: schrijf een gewone Nederlandse zin.")
    else:
        raise AssertionError("create_app('model.pt') gaf geen TypeError. Tip: een pad is nog geen geladen model.")
    ### BEGIN HIDDEN TESTS
    for wrong in (None, tiny_cnn, ProbeNet):
        try:
            create_app(wrong)
        except TypeError as exc:
            assert looks_dutch(str(exc)), (
                f"Lege of niet-Nederlandse melding bij create_app({wrong!r}). Tip: geef de TypeError een duidelijke "
                "Nederlandse melding mee.")
        else:
            raise AssertionError(f"create_app({wrong!r}) gaf geen TypeError")
    ### END HIDDEN TESTS

# %% [markdown]
# ## Jouw server naast het fragment
#
# Met jouw `create_app` herhalen we de metingen op een echte uvicorn-server, naast het fragment (met alleen de upload
# gerepareerd, anders komt er geen request binnen). Deze cel draait pas als oefening 1 af is, en niet tijdens het
# nakijken.

# %%
def measure(app_factory, label: str) -> dict:
    """The demos' measurements on one app, on a real server: agreement, buffers, graph, bad input, latency."""
    served = served_copy()
    calls = watch(served)
    before = copy.deepcopy(served.state_dict())
    with quiet():
        with running_server(app_factory(served)) as server:
            same = run_load(server.url + "/predict", num_requests=32, concurrency=8, files=png_upload(png))
            garbage = run_load(server.url + "/predict", num_requests=1, concurrency=1,
                               files=png_upload(b"dit is geen plaatje"))
            big = run_load(server.url + "/predict", num_requests=1, concurrency=1,
                           files=png_upload(padded_png(png, 2**20)))
            other = run_load(server.url + "/predict", num_requests=32, concurrency=8,
                             request_for=lambda i: {"files": png_upload(uploads[i])})
    changed = any(not torch.equal(v, before[k]) for k, v in served.state_dict().items())
    return {"server": label, "verschillende antwoorden (32× hetzelfde)": len({str(b) for b in same.bodies}),
            "buffers veranderd": changed, "forwards met graaf": sum(c["graph"] for c in calls),
            "status tekst": garbage.statuses[0], "status 1 MiB": big.statuses[0],
            "p50 (ms)": round(other.percentile(50), 1), "p95 (ms)": round(other.percentile(95), 1)}


if HEAVY:
    comparison = [measure(lambda m: demo_app(m), "fragment (upload gerepareerd)")]
    try:
        comparison.append(measure(create_app, "jouw create_app"))
    except NotImplementedError:
        print("Maak eerst oefening 1; dan verschijnt jouw server hier naast het fragment.")
    for key in comparison[0]:
        print(f"{key:<42}" + "".join(f"{str(row[key]):>32}" for row in comparison))
else:
    print("Overgeslagen tijdens het nakijken.")

# %%
leftover = [t.name for t in threading.enumerate() if t.name.startswith(("uvicorn-", "AnyIO", "load"))]
print(f"server- en load-threads die nu nog draaien: {leftover or 'geen'}")

# %% [markdown]
# **Conclusie:** lees de kolommen naast elkaar: het fragment geeft voor hetzelfde plaatje verschillende antwoorden,
# verandert zijn buffers, bouwt bij elke forward een graaf en antwoordt op foute invoer met een 500 of een 200; een
# goede `create_app` geeft één antwoord, laat het model ongemoeid, bouwt geen graaf en antwoordt met een 4xx.

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Analyseer het fragment uit de oorspronkelijke vraag: welke threading- en worker-problemen treden op, en hoe los je
# ze op? Noem ook wat er mis is dat níet met threads te maken heeft. Verwijs waar het kan naar een meting uit dit
# notebook.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Threads:* een `def`-endpoint draait in FastAPI's threadpool; gelijktijdige requests draaien hetzelfde
#    modelobject tegelijk. In train-modus (het fragment roept nooit `eval()` aan) loot Dropout en schrijft BatchNorm
#    bij elke request zijn running statistieken bij: antwoorden verschillen per request, het model verandert door het
#    verkeer en met threads hangt de eindtoestand af van de volgorde. Oplossing: `model.eval()` één keer bij het
#    opstarten en `torch.inference_mode()` (of `no_grad()`) **in** het endpoint — de autograd-modus geldt per thread.
#    Dan is het model read-only en hoeft er geen lock of kopie per request.
# 2. *Threadpool × intra-op threads:* elke forward kan zelf meerdere torch-threads gebruiken; met veel gelijktijdige
#    requests geeft dat meer threads dan cores en een slechtere p95. Kies `torch.set_num_threads` bewust bij de start.
#    En: een `async def`-endpoint met het model erin blokkeert de event loop (ook `/health`).
# 3. *Workers:* elke worker is een eigen proces met een eigen model (geheugen × aantal workers, geen gedeelde
#    toestand); laad het model per worker bij het opstarten (lifespan), niet per request. Forken nadat PyTorch zijn
#    threadpool gebruikte kan een worker laten hangen (gunicorn `--preload`).
# 4. *Niet-threading:* `image: bytes` zonder `File(...)` is een query-parameter: elke upload krijgt een 422 (gebruik
#    `UploadFile`/`File`); foute of te grote invoer geeft een 500 of een stille voorspelling; valideer en geef een 4xx
#    met melding.
#
# Puntentoekenning: 1 punt voor 1 (eval + inference_mode, met de reden), 1 punt voor 2 of 3 (één van beide volledig),
# 1 punt voor 4 (minstens het upload-probleem of de foute invoer, met de oplossing).
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - `image: bytes` zonder `File(...)` is een query-parameter; een upload ontvang je met `UploadFile = File(...)`.
# - Een gedeeld model moet read-only zijn: `eval()` één keer bij het opstarten, `torch.inference_mode()` in het
#   endpoint (de autograd-modus geldt per thread). Dan is een kopie per request overbodig.
# - `def`-endpoints draaien in een threadpool, `async def` op de event loop: zwaar rekenwerk nooit in `async def`
#   zonder thread. Kies het aantal torch-threads bewust; meer threads is onder load niet sneller.
# - Elke worker is een proces met een eigen model: laad het in de lifespan, na een eventuele fork.
# - Valideer uploads (grootte, plaatje, maat) en antwoord met een 4xx en een duidelijke melding, nooit met een 500.

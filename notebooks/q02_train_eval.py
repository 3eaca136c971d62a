# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 2 — `model.train()` versus `model.eval()`: Dropout en BatchNorm
#
# > **Oefenvraag.** Leg het verschil uit tussen `model.train()` en `model.eval()` en noem twee concrete effecten
# > op layers.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. met code laten zien wat Dropout en BatchNorm in train- en in eval-modus doen (inclusief de schaal `1/(1−p)` en
#    de running statistieken met `momentum`);
# 2. uitleggen waarom `eval()` **geen** autograd uitzet, en wat `torch.no_grad()` en `torch.inference_mode()` wél
#    (en niet) doen;
# 3. een `evaluate`-functie schrijven zonder bijwerkingen: geen rekengraaf, geen gewijzigde buffers of vlaggen, en
#    het model blijft in de modus waarin het was;
# 4. BatchNorm bevriezen voor fine-tuning op een manier die een latere `model.train()` en een `torch.save` overleeft.
#
# **Tijd:** reken op 1,5 à 2 uur; verdeel het gerust over twee sessies (bijvoorbeeld na de misvattingen). Ongeveer
# 45 minuten om de tekst (zo'n 2600 woorden) en de democode (zo'n 370 regels) te lezen en te draaien, en 60 minuten
# voor de drie oefeningen (15 punten) en het schriftelijke antwoord (3 punten). Alles draait op de CPU, zonder
# downloads; het hele notebook draait in minder dan een minuut.
#
# In de code gebruiken we vaste namen: `model`, `optimizer`, `loss_fn`, `loader`, `X`/`y`, `lr`, `batch_size` en
# `num_epochs`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.

# %% nbgrader={"grade_id": "setup", "locked": true}
import base64
import copy
import io
import pickle
import statistics
import warnings

import matplotlib.pyplot as plt
import torch
from IPython.core.pylabtools import print_figure
from IPython.display import Image, display
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlinfra import HEAVY, seed_everything
from mlinfra.data import make_blobs
from mlinfra.grading import quiet
from mlinfra.models import mlp, parameters_vector, saved_for_backward
from mlinfra.plots import set_style

set_style()
if not HEAVY:  # while grading, figures are built but not rendered: that saves seconds per student
    plt.switch_backend("agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")

X, y = make_blobs(n=1024, num_features=8, num_classes=4, spread=2.5, seed=0)  # overlapping classes
X_train, y_train, X_val, y_val = X[:768], y[:768], X[768:], y[768:]
print(f"train: {tuple(X_train.shape)}, validatie: {tuple(X_val.shape)}, klassen: {y.unique().tolist()}")
print(f"HEAVY = {HEAVY}")

# %% [markdown]
# ## Wat doen `train()` en `eval()` eigenlijk?
#
# Heel weinig: ze zetten de vlag `.training` op `True` of `False`, op het model **en op al zijn submodules**. Meer
# niet. Lagen die zich tijdens training anders moeten gedragen, lezen die vlag in hun `forward`. In de standaard
# bibliotheek zijn dat vooral **Dropout** en **BatchNorm**; daar gaan de demo's hieronder over.

# %%
seed_everything(0)
model = mlp(8, 16, 4, dropout=0.5, batchnorm=True)
for mode in ("train", "eval"):
    getattr(model, mode)()
    flags = ", ".join(f"{type(m).__name__}={m.training}" for m in model)
    print(f"na model.{mode}():  model.training={model.training}; {flags}")

# %% [markdown]
# **Conclusie:** `eval()` en `train()` zetten alleen de vlag `.training`, recursief op elke submodule.

# %% [markdown]
# ## Het antwoordmodel, punt voor punt
#
# > *Het antwoordmodel:* "`model.train()` activeert training-specifieke lagen (dropout, BatchNorm update);
# > `model.eval()` schakelt dropout uit en zorgt dat BatchNorm gebruikt wordt met opgeslagen running stats."
#
# 1. *"`model.train()` activeert training-specifieke lagen"* — **misleidend**. Er wordt niets aan- of uitgezet of
#    toegevoegd: beide zetten alleen de vlag `.training` (de cel hierboven); Dropout en BatchNorm zijn er in beide
#    modi en lezen die vlag zelf.
# 2. *"dropout … schakelt dropout uit"* — **onvolledig**. Klopt voor eval-modus, maar het antwoordmodel mist dat
#    Dropout in train-modus de overlevers met `1/(1−p)` vermenigvuldigt; daardoor hoeft eval-modus niets te schalen
#    (demo 1).
# 3. *"BatchNorm update" / "opgeslagen running stats"* — **klopt, maar onvolledig**: in train-modus normaliseert
#    BatchNorm met de statistieken van **de batch** en werkt het de running statistieken bij (demo 2). Daardoor hangt
#    je voorspelling in train-modus af van de andere voorbeelden in de batch (demo 3 en 4) — dat mist.
# 4. *Wat ontbreekt helemaal:* `eval()` is **niet** `torch.no_grad()` — het zet autograd niet uit (misvatting 1), en
#    omgekeerd zet `no_grad()` Dropout niet uit (misvatting 2).

# %% [markdown]
# ## Demo 1 — Dropout: nullen én opschalen, of niets
#
# In train-modus zet `nn.Dropout(p)` elke activatie met kans `p` op nul en vermenigvuldigt de overlevers met
# `1/(1−p)` (*inverted dropout*). Zo blijft de verwachte waarde gelijk en hoeft er in eval-modus niets te
# gebeuren: daar is Dropout de identiteit. We sturen een tensor met enen door Dropout.

# %%
seed_everything(0)
ones = torch.ones(100_000)
print(f"{'p':>4}{'modus':>7}{'fractie 0':>11}{'waarde overlevers':>19}{'1/(1-p)':>9}{'gemiddelde':>12}")
for p in (0.1, 0.3, 0.5, 0.8):
    drop = nn.Dropout(p)
    for mode in ("train", "eval"):
        getattr(drop, mode)()
        out = drop(ones)
        survivors = out[out != 0]
        print(f"{p:>4}{mode:>7}{(out == 0).float().mean():>11.3f}{survivors.unique().tolist()[0]:>19.4f}"
              f"{1 / (1 - p):>9.4f}{out.mean():>12.3f}")

# %% [markdown]
# Hetzelfde met realistischere activaties (na een ReLU, dus zelf al vaak 0). In de figuur laten we de nullen weg,
# zodat je de overlevers ziet; hoeveel er nul is, staat in de legenda.

# %%
seed_everything(0)
activations = torch.relu(torch.randn(20_000) + 1.0)  # typical post-ReLU activations
drop = nn.Dropout(0.5)
fig, ax = plt.subplots()
bins = torch.linspace(0, 8, 81).tolist()
for mode, color, style in (("eval", "tab:blue", "stepfilled"), ("train", "tab:orange", "step")):
    getattr(drop, mode)()
    out = drop(activations)
    ax.hist(out[out != 0].tolist(), bins=bins, color=color, histtype=style, alpha=0.6 if mode == "eval" else 1.0,
            linewidth=2, label=f"{mode}-modus: gemiddelde {out.mean():.3f}, fractie 0: {(out == 0).float().mean():.2f}")
    print(f"{mode:<6} gemiddelde van de niet-nul waarden: {out[out != 0].mean():.3f}")
ax.set_xlabel("waarde van de activatie na Dropout(p=0.5) (nullen weggelaten)")
ax.set_ylabel("aantal activaties")
ax.set_title("Dropout in train-modus: de overlevers worden × 2 uitgerekt")
ax.legend()
plt.show()

# %% [markdown]
# **Conclusie:** in train-modus is een fractie `p` extra nul en zijn de overlevers precies `1/(1−p)` keer zo groot
# (de oranje verdeling is de blauwe, twee keer zo breed uitgerekt: het gemiddelde van de niet-nul waarden gaat van
# 1.283 naar 2.563), zodat het gemiddelde over alles gelijk blijft; in eval-modus komt de invoer onveranderd terug.

# %% [markdown]
# ## Demo 2 — BatchNorm: batch-statistieken of running statistieken
#
# `nn.BatchNorm1d` heeft naast zijn parameters (`weight`, `bias`) drie **buffers**: `running_mean`, `running_var` en
# `num_batches_tracked`. Buffers zitten in de `state_dict`, maar de optimizer raakt ze niet aan.
#
# - **train-modus:** normaliseer met gemiddelde en variantie van *deze batch*, en werk de buffers bij:
#   `running = (1 − momentum) · running + momentum · batch_statistiek`, met `momentum = 0.1`.
# - **eval-modus:** normaliseer met de buffers; verander niets.
#
# We volgen de buffers door een forward in train-modus en daarna een in eval-modus.

# %%
seed_everything(0)
bn = nn.BatchNorm1d(3)
X_batch = torch.randn(8, 3) * torch.tensor([1.0, 2.0, 0.5]) + torch.tensor([2.0, -1.0, 5.0])


def show_buffers(label: str, layer: nn.BatchNorm1d) -> None:
    print(f"{label:<18} running_mean={[round(v, 4) for v in layer.running_mean.tolist()]}  "
          f"running_var={[round(v, 4) for v in layer.running_var.tolist()]}  "
          f"num_batches_tracked={layer.num_batches_tracked.item()}")


show_buffers("start", bn)
bn.train()
out_train = bn(X_batch)
show_buffers("na train-forward", bn)
bn.eval()
out_eval = bn(X_batch)
show_buffers("na eval-forward", bn)

momentum = bn.momentum
expected_mean = momentum * X_batch.mean(0)
expected_var_unbiased = (1 - momentum) * 1.0 + momentum * X_batch.var(0, unbiased=True)
expected_var_biased = (1 - momentum) * 1.0 + momentum * X_batch.var(0, unbiased=False)
print(f"\nmomentum = {momentum}")
print(f"running_mean = 0.1 × batchgemiddelde?            {torch.allclose(bn.running_mean, expected_mean)}")
print(f"running_var met zuivere variantie (n−1)?         {torch.allclose(bn.running_var, expected_var_unbiased)}")
print(f"running_var met onzuivere variantie (n)?         {torch.allclose(bn.running_var, expected_var_biased)}")
print(f"\nuitvoer train-modus: gemiddelde per kenmerk {[round(v, 3) for v in out_train.mean(0).tolist()]}, "
      f"std (n) {[round(v, 3) for v in out_train.std(0, unbiased=False).tolist()]}")
print(f"uitvoer eval-modus:  gemiddelde per kenmerk {[round(v, 3) for v in out_eval.mean(0).tolist()]}, "
      f"std (n) {[round(v, 3) for v in out_eval.std(0, unbiased=False).tolist()]}")

# %% [markdown]
# **Conclusie:** één train-forward schuift de buffers 10 % richting de batch-statistieken (de variantie met `n−1`,
# de zuivere schatter) en verhoogt `num_batches_tracked`; de eval-forward laat alle buffers ongemoeid. De uitvoer in
# train-modus is per kenmerk precies genormaliseerd (gemiddelde 0, std 1); in eval-modus niet, omdat de running
# statistieken na één batch nog ver van de data af liggen.
#
# Normaliseren gebeurt wél met de *onzuivere* variantie van de batch (deling door `n`): daarom is de std van de
# train-uitvoer hierboven met `unbiased=False` precies 1.

# %% [markdown]
# ## Demo 3 — In train-modus hangt jouw voorspelling af van je buren in de batch
#
# Omdat BatchNorm in train-modus met batch-statistieken normaliseert, hangt de uitvoer voor één voorbeeld `x₀` af van
# de andere voorbeelden in dezelfde batch. We stoppen hetzelfde `x₀` in 200 willekeurige batches en meten hoe sterk
# zijn uitvoer varieert, per batchgrootte.

# %%
def bn_spread(layer: nn.BatchNorm1d, x0: torch.Tensor, pool: torch.Tensor, batch_size: int,
              num_repeats: int, g: torch.Generator) -> torch.Tensor:
    """The output of ``layer`` for ``x0`` in ``num_repeats`` random batches of ``batch_size`` drawn from ``pool``."""
    outs = []
    with torch.no_grad():
        for _ in range(num_repeats):
            others = pool[torch.randint(0, len(pool), (batch_size - 1,), generator=g)]
            outs.append(layer(torch.cat([x0[None], others]))[0])
    return torch.stack(outs)


g = seed_everything(0)
layer = nn.BatchNorm1d(8)
with torch.no_grad():  # warm up the running statistics on the training data
    for xb in X_train.split(64):
        layer(xb)
x0 = X_val[0]
num_repeats = 200 if HEAVY else 50
batch_sizes = [2, 4, 8, 16, 32, 128]
spread = {}
for mode in ("train", "eval"):
    getattr(layer, mode)()
    state = copy.deepcopy(layer.state_dict())
    spread[mode] = [bn_spread(layer, x0, X_train, bs, num_repeats, g).std(0).mean().item() for bs in batch_sizes]
    layer.load_state_dict(state)  # undo the buffer updates of the train-mode passes
print(f"{'batch_size':>10}{'std uitvoer x0 (train)':>24}{'std uitvoer x0 (eval)':>23}")
for bs, s_train, s_eval in zip(batch_sizes, spread["train"], spread["eval"]):
    print(f"{bs:>10}{s_train:>24.4f}{s_eval:>23.4f}")

# %%
fig, ax = plt.subplots()
ax.plot(batch_sizes, spread["train"], "o-", label="train-modus")
ax.plot(batch_sizes, spread["eval"], "s--", label="eval-modus")
ax.set_xscale("log", base=2)
ax.set_xticks(batch_sizes, [str(bs) for bs in batch_sizes])
ax.set_xlabel("batch_size (log-schaal: elke stap is een verdubbeling)")
ax.set_ylabel("std van de uitvoer voor hetzelfde x₀\n(over willekeurige batches)")
ax.set_title("BatchNorm: in train-modus hangt de uitvoer af van de batch")
ax.legend()
plt.show()

# %% [markdown]
# **Conclusie:** in train-modus verandert de uitvoer voor hetzelfde `x₀` met de andere voorbeelden in de batch,
# sterker naarmate de batch kleiner is (std 0.8970 bij `batch_size = 2`, 0.0927 bij 128); in eval-modus is de
# spreiding exact 0.
#
# ### Een batch van één voorbeeld
#
# In train-modus schat BatchNorm per kanaal een gemiddelde en een variantie uit **alle waarden van dat kanaal in de
# batch**: `N` waarden voor `BatchNorm1d` op `(N, C)`, `N·L` voor `(N, C, L)`, `N·H·W` voor `BatchNorm2d` op
# `(N, C, H, W)`. Pas als dat er precies één is, valt er niets te schatten en weigert PyTorch. Een batch van één
# voorbeeld is dus alleen een probleem als er per kanaal ook maar één waarde is, zoals bij `(1, C)`.

# %%
print(f"{'laag':<13}{'invoer':<15}{'waarden per kanaal':>19}   train-modus")
for layer, shape in ((nn.BatchNorm1d(3), (1, 3)), (nn.BatchNorm1d(3), (2, 3)), (nn.BatchNorm1d(3), (1, 3, 5)),
                     (nn.BatchNorm1d(3), (1, 3, 1)), (nn.BatchNorm2d(3), (1, 3, 4, 4)),
                     (nn.BatchNorm2d(3), (1, 3, 1, 1))):
    layer.train()
    values_per_channel = shape[0] * (torch.Size(shape[2:]).numel())
    try:
        layer(torch.randn(*shape))
        result = "werkt"
    except ValueError as exc:
        result = f"ValueError: {str(exc)[:40]}…"
    print(f"{type(layer).__name__:<13}{str(shape):<15}{values_per_channel:>19}   {result}")
layer = nn.BatchNorm1d(3).eval()
print(f"\neval-modus, BatchNorm1d op (1, 3): uitvoer met vorm {tuple(layer(torch.randn(1, 3)).shape)}, geen fout")

# %% [markdown]
# **Conclusie:** alleen waar de tabel "1 waarde per kanaal" toont, geeft train-modus een `ValueError`; een
# `BatchNorm2d` op één plaatje van 4×4 of een `BatchNorm1d` op `(1, 3, 5)` traint gewoon. In eval-modus werkt ook
# `(1, 3)`, want dan wordt er niets geschat. (Bij een MLP met `BatchNorm1d` laat je de laatste trainingsbatch daarom
# nooit één voorbeeld groot worden, bijvoorbeeld met `drop_last=True`.)

# %% [markdown]
# ## Demo 4 — Dropout, modus en batchgrootte samen
#
# Een klein netwerk `Linear → BatchNorm1d → ReLU → Dropout(p) → Linear`. We sturen hetzelfde voorbeeld `x₀` vele
# keren door het netwerk, telkens in een andere willekeurige batch, en tekenen de verdeling van de uitvoer. De
# stippellijn is de (vaste) uitvoer in eval-modus. De tabel geeft de spreiding in train-modus voor twee waarden van
# `p` en drie batchgroottes. Draai je het notebook in JupyterLab, dan verschijnt daaronder één figuur met
# schuifknoppen waarmee je `p`, de modus en de batchgrootte zelf kiest; zonder widgets (bijvoorbeeld in een
# HTML-export) zie je op die plek een vast raster met de zes combinaties uit de tabel.

# %%
seed_everything(0)
spread_model = mlp(8, 32, 1, dropout=0.5, batchnorm=True)
with torch.no_grad():  # warm up BatchNorm's running statistics
    for xb in X_train.split(64):
        spread_model(xb)
spread_model.eval()


def outputs_for_x0(p: float, mode: str, batch_size: int, num_repeats: int) -> tuple[list[float], float]:
    """The model's outputs for x0 over random batches in the given mode, and its fixed output in eval mode."""
    g = seed_everything(1)
    model = copy.deepcopy(spread_model)  # every call starts from the same weights and buffers
    model[3].p = p  # the Dropout layer
    with torch.no_grad():
        model.eval()
        reference = model(x0[None]).item()
        getattr(model, mode)()
        outs = []
        for _ in range(num_repeats):
            others = X_train[torch.randint(0, len(X_train), (batch_size - 1,), generator=g)]
            outs.append(model(torch.cat([x0[None], others]))[0, 0].item())
    return outs, reference


num_repeats = 200 if HEAVY else 30
grid_p, grid_bs = (0.0, 0.5), (4, 16, 128)
fig, axes = plt.subplots(len(grid_p), len(grid_bs), figsize=(12, 6), sharex=True)
print(f"{'p':>4}{'batch_size':>12}{'std uitvoer (train)':>21}")
for row, p in enumerate(grid_p):
    for col, bs in enumerate(grid_bs):
        outs, reference = outputs_for_x0(p, "train", bs, num_repeats)
        ax = axes[row, col]
        ax.hist(outs, bins=30, color="tab:orange", alpha=0.8)
        ax.axvline(reference, color="black", linestyle="--")
        ax.set_title(f"p = {p}, batch_size = {bs}: std {statistics.pstdev(outs):.3f}", fontsize=10)
        print(f"{p:>4}{bs:>12}{statistics.pstdev(outs):>21.3f}")
for ax in axes[-1]:
    ax.set_xlabel("uitvoer voor hetzelfde x₀")
for ax in axes[:, 0]:
    ax.set_ylabel("aantal forward passes")
fig.suptitle("Train-modus: verdeling van de uitvoer voor één voorbeeld (stippellijn: eval-modus)")
fig.tight_layout()
grid_png = print_figure(fig, "png") if HEAVY else b""  # shown below where the sliders cannot be (not while grading)
plt.close(fig)

# %%
def draw_spread(p: float = 0.5, mode: str = "train", batch_size: int = 8) -> None:
    """Histogram of the model's output for x0 over many random batches, in the chosen mode (for the sliders)."""
    outs, reference = outputs_for_x0(p, mode, batch_size, 200)
    fig, ax = plt.subplots()
    ax.hist(outs, bins=30, color="tab:orange" if mode == "train" else "tab:blue", alpha=0.8)
    ax.axvline(reference, color="black", linestyle="--", label=f"eval-modus: {reference:.3f}")
    ax.set_xlabel("uitvoer van het model voor hetzelfde x₀")
    ax.set_ylabel("aantal forward passes")
    ax.set_title(f"{mode}-modus, p = {p:.2f}, batch_size = {batch_size}: std {statistics.pstdev(outs):.3f}")
    ax.legend()
    plt.show()


if HEAVY:  # the interactive version only for a reader, never while grading
    try:
        import ipywidgets as widgets
    except ImportError:  # no sliders: the static grid
        display(Image(grid_png))
    else:
        controls = {
            "p": widgets.FloatSlider(value=0.5, min=0.0, max=0.9, step=0.1, description="dropout p"),
            "mode": widgets.ToggleButtons(options=["train", "eval"], value="train", description="modus",
                                          style={"button_width": "100px"}),
            "batch_size": widgets.IntSlider(value=8, min=2, max=128, step=1, description="batch_size"),
        }
        for css_class in ("widget-inline-hbox", "jupyter-widget-inline-hbox"):  # label left of the buttons, as on
            controls["mode"].add_class(css_class)  # the sliders (ipywidgets 8 puts a ToggleButtons label above)
        demo = widgets.VBox([*controls.values(), widgets.interactive_output(draw_spread, controls)])
        # One output, two representations: a frontend that renders widgets shows the sliders with their figure,
        # any other (an HTML export, a viewer without the widget extension) shows the static grid instead.
        display({**demo._repr_mimebundle_(), "image/png": base64.b64encode(grid_png).decode("ascii")}, raw=True)

# %% [markdown]
# **Conclusie:** in train-modus is de uitvoer voor hetzelfde voorbeeld een kansvariabele. De tabel laat beide
# oorzaken zien: ook zonder Dropout (`p = 0`) spreidt BatchNorm de uitvoer, sterker bij kleine batches (std 0.153 bij
# `batch_size = 4`, 0.026 bij 128); met `p = 0.5` is de spreiding bij elke batchgrootte veel groter (0.317 bij 4,
# 0.191 bij 128: daar is het vooral Dropout). In eval-modus is de uitvoer één vast getal, de stippellijn: kies je met
# de knoppen `eval`, dan valt het hele histogram daarop.

# %% [markdown]
# ## Veelgemaakte misvattingen
#
# ### Misvatting 1 — "`model.eval()` zet de gradients uit"
#
# Nee: `eval()` zet alleen `.training` op `False`. Autograd bouwt gewoon een rekengraaf en bewaart daarvoor
# tussenresultaten (activaties) in het geheugen. Dat zet je uit met `torch.no_grad()` of, nog strenger,
# `torch.inference_mode()`. We tellen hoeveel bytes autograd bewaart voor een `backward()` die nooit komt
# (parameters zelf niet meegeteld; `saved_for_backward` uit `mlinfra.models` telt ze met
# `torch.autograd.graph.saved_tensors_hooks`). De rekentijd laten we hier weg: op zo'n klein model is het verschil
# kleiner dan de ruis tussen twee metingen.

# %%
seed_everything(0)
big_model = mlp(8, 1024, 4, dropout=0.5, batchnorm=True)
big_model.eval()
X_big = X.repeat(2, 1)  # 2048 samples
print(f"{'model.eval() plus':<28}{'graaf?':>8}{'bewaard voor backward':>24}")
for name, context in (("niets", torch.enable_grad), ("torch.no_grad()", torch.no_grad),
                      ("torch.inference_mode()", torch.inference_mode)):
    has_graph, n_bytes = saved_for_backward(big_model, X_big, context)  # mlinfra.models
    print(f"{name:<28}{str(has_graph):>8}{n_bytes / 2**20:>20.1f} MiB")

# %% [markdown]
# **Conclusie:** met alleen `eval()` heeft de uitvoer nog een rekengraaf en houdt autograd 24.1 MiB aan activaties
# vast; met `no_grad()` of `inference_mode()` is dat 0 bytes. Voor evaluatie heb je dus **beide** nodig: `eval()` voor
# het gedrag van de lagen, `no_grad()`/`inference_mode()` voor autograd.
#
# **Wat maakt `inference_mode()` strenger?** Tensors die onder `inference_mode()` ontstaan, zijn *inference tensors*:
# ze mogen later nooit meer in een berekening die autograd volgt, en je mag ze buiten `inference_mode()` niet ter
# plekke (`add_`, …) veranderen. Onder `no_grad()` gemaakte tensors zijn gewone tensors. Dat maakt `inference_mode()`
# iets sneller, maar alleen bruikbaar als de uitvoer echt nergens meer in training terechtkomt.

# %%
seed_everything(0)
layer = nn.Linear(3, 2)
weight = torch.randn(2, requires_grad=True)  # something that is trained later
for name, context in (("torch.no_grad()", torch.no_grad), ("torch.inference_mode()", torch.inference_mode)):
    with context():
        features = layer(torch.randn(4, 3))
    try:
        (features * weight).sum().backward()
        result = f"backward() werkt, weight.grad = {[round(v, 3) for v in weight.grad.tolist()]}"
    except RuntimeError as exc:
        result = f"RuntimeError: {str(exc).split('.')[0]}."
    print(f"uitvoer gemaakt onder {name:<24} later in autograd gebruiken → {result}")

# %% [markdown]
# **Conclusie:** de uitvoer van `no_grad()` kan later gewoon mee in een `backward()`; die van `inference_mode()` geeft
# de `RuntimeError` hierboven. Gebruik `inference_mode()` voor evaluatie en serving, `no_grad()` als je de uitvoer
# nog ergens in een training wilt gebruiken.

# %% [markdown]
# ### Misvatting 2 — "`torch.no_grad()` zet ook Dropout uit" (en: "elke normalisatielaag kent de modus")
#
# Het omgekeerde van misvatting 1: `no_grad()`/`inference_mode()` zetten alleen autograd uit; de lagen kijken alleen
# naar `.training`. En niet elke normalisatielaag doet iets met die vlag: `LayerNorm` en `GroupNorm` normaliseren
# **per voorbeeld** en hebben geen running statistieken, dus train- en eval-modus geven daar precies hetzelfde.

# %%
seed_everything(0)
x = torch.randn(4, 8)
drop = nn.Dropout(0.5).train()
with torch.inference_mode():
    same = torch.equal(drop(x), drop(x))
print(f"Dropout in train-modus onder inference_mode(): twee aanroepen gelijk? {same}")
for layer, inp in ((nn.LayerNorm(8), x), (nn.GroupNorm(2, 8), x), (nn.BatchNorm1d(8), x)):
    with torch.no_grad():
        out_train = layer.train()(inp)
        out_eval = layer.eval()(inp)
    print(f"{type(layer).__name__:<12} max |uitvoer train − uitvoer eval| = {(out_train - out_eval).abs().max():.4f}")

# %% [markdown]
# **Conclusie:** onder `inference_mode()` geeft Dropout in train-modus twee verschillende uitvoeren (`False`):
# alleen `eval()` zet hem uit. `LayerNorm` en `GroupNorm` geven in beide modi exact dezelfde uitvoer (verschil 0);
# alleen `BatchNorm` verschilt.

# %% [markdown]
# ### Misvatting 3 — "`eval()` schakelt alle willekeur in mijn model uit"
#
# `eval()` weet niets van jouw lagen; het zet alleen `.training`. Een eigen laag die tijdens training ruis toevoegt,
# moet zelf `self.training` lezen.

# %%
class NoiseAlways(nn.Module):
    """Adds Gaussian noise, forgetting to check the mode."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.1 * torch.randn_like(x)


class NoiseWhenTraining(nn.Module):
    """Adds Gaussian noise only in train mode."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.1 * torch.randn_like(x) if self.training else x


seed_everything(0)
for layer in (NoiseAlways(), NoiseWhenTraining()):
    model = nn.Sequential(nn.Linear(8, 4), layer)
    model.eval()
    with torch.no_grad():
        diff = (model(X_val) - model(X_val)).abs().max().item()
    print(f"{type(layer).__name__:<18} na eval(): max verschil tussen twee identieke aanroepen = {diff:.4f}")

# %% [markdown]
# **Conclusie:** de laag die `self.training` niet leest blijft in eval-modus ruis geven; de laag die hem wel leest,
# geeft twee keer exact hetzelfde.

# %% [markdown]
# ### Misvatting 4 — "Evalueren in train-modus maakt niet zoveel uit"
#
# We trainen een klein model met Dropout en BatchNorm en meten daarna de validatie-accuracy 20 keer in
# train-modus (batches van 32) en één keer in eval-modus.

# %%
def train_model(num_epochs: int, seed: int = 0) -> nn.Module:
    """A small MLP with BatchNorm and Dropout, trained on the blobs with Adam."""
    g = seed_everything(seed)
    model = mlp(8, 64, 4, dropout=0.5, batchnorm=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, generator=g, drop_last=True)
    model.train()
    for _ in range(num_epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
    return model


def accuracy_in_mode(model: nn.Module, mode: str, batch_size: int = 32) -> float:
    """Validation accuracy with the model in the given mode (demo only, it changes the model's mode)."""
    getattr(model, mode)()
    correct = 0
    with torch.no_grad():
        for xb, yb in DataLoader(TensorDataset(X_val, y_val), batch_size=batch_size):
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
    return correct / len(y_val)


model = train_model(num_epochs=5 if HEAVY else 1)
running_mean_before = model[1].running_mean.clone()
acc_eval = accuracy_in_mode(model, "eval")
acc_train = [accuracy_in_mode(model, "train") for _ in range(20 if HEAVY else 5)]
print(f"eval-modus:  accuracy {acc_eval:.3f}")
print(f"train-modus: accuracy {statistics.mean(acc_train):.3f} ± {statistics.stdev(acc_train):.3f} "
      f"(min {min(acc_train):.3f}, max {max(acc_train):.3f}, {len(acc_train)} herhalingen)")
print(f"running_mean veranderd door 'evalueren' in train-modus? "
      f"{not torch.equal(running_mean_before, model[1].running_mean)}")

# %%
fig, ax = plt.subplots()
ax.hist(acc_train, bins=10, color="tab:orange", alpha=0.8, label=f"train-modus ({len(acc_train)} herhalingen)")
ax.axvline(acc_eval, color="tab:blue", linewidth=3, label=f"eval-modus ({acc_eval:.3f})")
ax.set_xlabel("validatie-accuracy")
ax.set_ylabel("aantal herhalingen")
ax.set_title("Evalueren in train-modus: lager en ruizig")
ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # room for the legend
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# **Conclusie:** in train-modus is de accuracy lager en verschilt hij per herhaling; in eval-modus is hij hoger en
# vast. Bovendien heeft de "evaluatie" in train-modus de BatchNorm-buffers met validatiedata veranderd: een
# bijwerking op je model.

# %% [markdown]
# ### Misvatting 5 — "Na de validatie gaat het vanzelf weer goed"
#
# Een veelvoorkomende lus: elke epoch trainen, dan `model.eval()` voor de validatie… en vergeten om aan het begin van
# de volgende epoch weer `model.train()` aan te roepen. Er komt geen foutmelding. We tellen hoeveel trainingsbatches
# Dropout echt in train-modus zag, en meten wat telt: de **validatie-accuracy in eval-modus** na elke epoch (de
# trainingsloss is geen eerlijke vergelijking, want met Dropout uit is die vanzelf lager). Twee situaties, elk met
# drie verschillende startgewichten:
#
# - **A:** valideren ná elke epoch, op de gewone (goed geschaalde) data;
# - **B:** ook een validatie vóór de eerste epoch (een gebruikelijke controle), en kenmerken die niet genormaliseerd
#   zijn (`20·X + 100`, zoals ruwe meetwaarden). BatchNorm komt dan nooit in train-modus.

# %%
def train_with_validation(num_epochs: int, switch_back: bool, validate_first: bool, scale: float, shift: float,
                          seed: int) -> dict:
    """Train with per-epoch validation; record Dropout-active batches and eval-mode validation accuracy."""
    g = seed_everything(seed)
    X_tr, X_va = X_train * scale + shift, X_val * scale + shift
    model = mlp(8, 64, 4, dropout=0.5, batchnorm=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X_tr, y_train), batch_size=32, shuffle=True, generator=g, drop_last=True)
    seen = {"train": 0}
    model[3].register_forward_pre_hook(lambda m, args: seen.update(train=seen["train"] + m.training))
    history = {"dropout_active": [], "val_acc": []}
    model.train()
    if validate_first:
        model.eval()
    for _ in range(num_epochs):
        if switch_back:
            model.train()
        seen["train"] = 0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        history["dropout_active"].append(seen["train"])
        model.eval()
        with torch.no_grad():
            history["val_acc"].append((model(X_va).argmax(dim=1) == y_val).float().mean().item())
    return history


num_epochs = 5 if HEAVY else 1
seeds = (0, 1, 2) if HEAVY else (0,)
situations = {"A": dict(validate_first=False, scale=1.0, shift=0.0),
              "B": dict(validate_first=True, scale=20.0, shift=100.0)}
results = {(sit, switch_back): [train_with_validation(num_epochs, switch_back, seed=s, **kwargs) for s in seeds]
           for sit, kwargs in situations.items() for switch_back in (True, False)}
print(f"{'situatie':<9}{'model.train()?':<16}{'Dropout actief (batches per epoch, 1e start)':<46}"
      f"{'val-accuracy eind, per start':<30}{'gemiddeld':>9}")
for (sit, switch_back), runs in results.items():
    finals = [h["val_acc"][-1] for h in runs]
    print(f"{sit:<9}{'ja' if switch_back else 'vergeten':<16}{str(runs[0]['dropout_active']):<46}"
          f"{str([round(a, 3) for a in finals]):<30}{statistics.mean(finals):>9.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, sit in zip(axes, situations):
    for switch_back, style in ((True, dict(color="tab:green", linestyle="-", marker="o")),
                               (False, dict(color="tab:red", linestyle="--", marker="s"))):
        runs = results[(sit, switch_back)]
        mean_acc = [statistics.mean(h["val_acc"][e] for h in runs) for e in range(num_epochs)]
        ax.plot(range(1, num_epochs + 1), mean_acc, label="met model.train()" if switch_back else "vergeten", **style)
    ax.set(title=f"Situatie {sit}", xlabel="epoch", ylabel=f"validatie-accuracy (eval-modus, gem. van {len(seeds)})",
           xticks=range(1, num_epochs + 1))
    ax.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# **Conclusie:** zonder `model.train()` ziet Dropout in situatie A alleen in de eerste epoch trainingsbatches in
# train-modus (daarna 0 per epoch) en in situatie B nooit; er komt geen foutmelding. Wat het **kost**, hangt af van de
# situatie, en eerlijk is eerlijk: in situatie A kost het op deze data niets meetbaars (gemiddeld 0.895 met én zonder
# `model.train()`; het verschil tussen twee startgewichten is groter dan dat tussen de twee lussen) — Dropout was hier
# niet nodig. In situatie B kost het wel: BatchNorm heeft nooit in train-modus genormaliseerd, de running
# statistieken staan nog op hun beginwaarden (gemiddelde 0, variantie 1) en de ruwe kenmerken komen ongeschaald het
# netwerk in. De validatie-accuracy zakt van gemiddeld 0.898 naar 0.854, en bij elk van de drie starts is hij lager.
# In beide gevallen train je stilletjes een ander model dan je denkt; hoeveel dat kost, zie je pas aan de
# validatie-accuracy in eval-modus, niet aan de trainingsloss.

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt kleine modellen en loaders voor de tests. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
from mlinfra.grading import assert_dutch

# What PyTorch's own classes look like before any exercise cell ran (freeze_batchnorm must leave them alone).
TORCH_CLASSES = (nn.Module, nn.modules.batchnorm._NormBase, nn.modules.batchnorm._BatchNorm, nn.BatchNorm1d,
                 nn.BatchNorm2d, nn.BatchNorm3d, nn.Sequential, nn.Dropout, nn.Linear)
TORCH_CLASS_ATTRIBUTES = {cls: dict(vars(cls)) for cls in TORCH_CLASSES}


def patched_torch_classes() -> list[str]:
    """The names of the PyTorch classes above whose attributes differ from the snapshot."""
    return [cls.__name__ for cls in TORCH_CLASSES if dict(vars(cls)) != TORCH_CLASS_ATTRIBUTES[cls]]


def make_model(seed: int, dropout: float = 0.0, batchnorm: bool = False) -> nn.Sequential:
    """A fresh, seeded mlp(4, 16, 3) in train mode."""
    seed_everything(seed)
    return mlp(4, 16, 3, dropout=dropout, batchnorm=batchnorm).train()


def make_loader(seed: int, n: int = 40, batch_size: int = 8) -> DataLoader:
    """A loader of n seeded samples (X float32 of shape (n, 4), y int64 in {0, 1, 2})."""
    g = torch.Generator().manual_seed(seed)
    X_, y_ = torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)
    return DataLoader(TensorDataset(X_, y_), batch_size=batch_size)


def expected_accuracy(model: nn.Sequential, loader) -> float:
    """Accuracy of a Dropout-free copy of an mlp without BatchNorm (Dropout is the identity outside training)."""
    twin = nn.Sequential(*[nn.Identity() if isinstance(m, nn.Dropout) else copy.deepcopy(m) for m in model])
    correct = total = 0
    for X_, y_ in loader:
        correct += (twin(X_).detach().argmax(dim=1) == y_).sum().item()
        total += len(y_)
    return correct / total


def buffers(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of every buffer (running_mean, running_var, num_batches_tracked) of model."""
    return {name: b.detach().clone() for name, b in model.named_buffers()}


def buffers_unchanged(model: nn.Module, before: dict[str, torch.Tensor]) -> bool:
    return all(torch.equal(b, before[name]) for name, b in model.named_buffers())


def record_calls(model: nn.Module) -> list[dict]:
    """Record, for every forward call of model (or of a copy of it), its mode and whether autograd built a graph."""
    calls: list[dict] = []
    model.register_forward_hook(
        lambda module, args, out: calls.append({"training": module.training, "graph": out.requires_grad}))
    return calls


def train_steps(model: nn.Module, loader, num_steps: int = 3, lr: float = 0.1) -> None:
    """A few SGD steps (with momentum and weight decay) in whatever mode the model is in."""
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr, momentum=0.9,
                                weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for _, (X_, y_) in zip(range(num_steps), loader):
        optimizer.zero_grad()
        loss_fn(model(X_), y_).backward()
        optimizer.step()


def pretrained_model(seed: int, dropout: float = 0.0) -> nn.Sequential:
    """A model with BatchNorm whose running statistics have moved away from their start values."""
    model = make_model(seed, dropout=dropout, batchnorm=True)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(5):
            model(3.0 * torch.randn(16, 4, generator=g) + 1.0)
    return model


def require_defined(name: str) -> None:
    """A Dutch hint instead of a NameError when the exercise cell above has not defined ``name`` (yet)."""
    assert name in globals(), (
        f"{name} bestaat nog niet: de opgavecel hierboven is nog niet zonder fout gedraaid. Maak die opgave, haal "
        "elke regel raise NotImplementedError(...) weg en draai die cel opnieuw, daarna deze test.")


def save_and_load(model: nn.Module) -> nn.Module:
    """A round trip through torch.save / torch.load of the whole model object (as a checkpoint or a worker would)."""
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)

# %% [markdown]
# ### Oefening 1 — Een `evaluate` zonder bijwerkingen (6 punten)
#
# Schrijf `evaluate(model, loader)`. `loader` levert batches `(X, y)` (een `DataLoader` of gewoon een lijst); het
# model geeft logits met vorm `(batch_size, num_classes)`. De functie
# - geeft de **accuracy** over alle voorbeelden terug als `float` tussen 0 en 1 (de laatste batch mag kleiner zijn),
#   van het model zoals het nu is (ook als je het eerder al evalueerde en het daarna verder trainde);
# - laat Dropout en BatchNorm zich gedragen zoals bij inferentie;
# - bouwt **geen** rekengraaf (er komt toch geen `backward()`), en laat autograd voor de rest van het programma zoals
#   het was: `torch.is_grad_enabled()` geeft na afloop hetzelfde als ervoor (ook binnen een `torch.no_grad()` van de
#   aanroeper);
# - verandert niets aan het model: geen BatchNorm-buffer, geen `requires_grad` (ook niet van parameters die de
#   aanroeper heeft bevroren) en geen `.grad` (ook niet als er al gradients staan, bijvoorbeeld bij gradient
#   accumulation);
# - laat het model achter in de modus waarin het binnenkwam: `model.training` heeft na afloop dezelfde waarde als
#   ervoor (stond het hele model in train- of in eval-modus, dan staan alle lagen daarna weer zo);
# - gooit een `ValueError` met een duidelijke Nederlandse melding als de loader geen enkel voorbeeld levert (geen
#   batches, of alleen lege batches).

# %% nbgrader={"grade_id": "evaluate", "solution": true}
def evaluate(model: nn.Module, loader) -> float:
    """Accuracy of ``model`` over all ``(X, y)`` batches in ``loader``, without side effects on the model."""
    ### BEGIN SOLUTION
    was_training = model.training
    model.eval()
    correct, total = 0, 0
    try:
        with torch.no_grad():
            for X_batch, y_batch in loader:
                correct += (model(X_batch).argmax(dim=1) == y_batch).sum().item()
                total += y_batch.numel()
    finally:
        model.train(was_training)
    if total == 0:
        raise ValueError("de loader leverde geen enkel voorbeeld op; een accuracy is dan niet gedefinieerd")
    return correct / total
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_evaluate_accuracy", "grade": true, "points": 1}
"""Checks that evaluate returns the accuracy over all samples as a float."""
with quiet():
    model, loader = make_model(seed=1), make_loader(seed=1)
    acc = evaluate(model, loader)
    assert isinstance(acc, float), f"evaluate gaf een {type(acc).__name__} terug, verwacht een float."
    assert abs(acc - expected_accuracy(model, loader)) < 1e-6, (
        f"evaluate gaf {acc:.4f}, verwacht {expected_accuracy(model, loader):.4f}. Tip: accuracy is het aantal goed "
        "voorspelde voorbeelden gedeeld door het aantal voorbeelden; de voorspelde klasse is de grootste logit.")
    ### BEGIN HIDDEN TESTS
    # 40 samples in batches of 16 (16, 16, 8): a model that always predicts class 0, labels 0 in the first 32 only.
    always_zero = nn.Sequential(nn.Linear(4, 3))
    with torch.no_grad():
        always_zero[0].weight.zero_()
        always_zero[0].bias.copy_(torch.tensor([1.0, 0.0, 0.0]))
    X_h, y_h = torch.randn(40, 4), torch.cat([torch.zeros(32), torch.ones(8)]).long()
    acc = evaluate(always_zero, DataLoader(TensorDataset(X_h, y_h), batch_size=16))
    assert abs(acc - 0.8) < 1e-6, (
        f"Met batches van 16, 16 en 8 voorbeelden gaf evaluate {acc:.4f}, verwacht 0.8000. Tip: telt elk voorbeeld "
        "even zwaar, ook die in de kleinere laatste batch?")
    batches = [(X_h[:10], y_h[:10]), (X_h[10:], y_h[10:])]  # a plain list works as a loader
    acc = evaluate(always_zero, batches)
    assert abs(acc - 0.8) < 1e-6, (
        f"Met een gewone lijst van batches als loader gaf evaluate {acc:.4f}, verwacht 0.8000. Tip: een lijst heeft "
        "geen .dataset; tel de voorbeelden zelf.")
    # The same model, evaluated, trained further, evaluated again: the second answer is about the trained model.
    model, loader = make_model(seed=11), make_loader(seed=11)
    evaluate(model, loader)
    train_steps(model, loader, num_steps=5, lr=0.5)
    acc = evaluate(model, loader)
    assert abs(acc - expected_accuracy(model, loader)) < 1e-6, (
        f"Na verder trainen gaf evaluate {acc:.4f}, verwacht {expected_accuracy(model, loader):.4f} voor het model "
        "zoals het nu is. Tip: onthoudt jouw functie iets van een vorige aanroep?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_dropout_off", "grade": true, "points": 1}
"""Checks that evaluate measures the model with Dropout switched off."""
with quiet():
    model, loader = make_model(seed=2, dropout=0.5), make_loader(seed=2, n=64)
    acc = evaluate(model, loader)
    assert abs(acc - expected_accuracy(model, loader)) < 1e-6, (
        f"Met Dropout(p=0.5) gaf evaluate {acc:.4f}, verwacht {expected_accuracy(model, loader):.4f}. "
        "Tip: in welke modus staat het model tijdens jouw forward passes?")
    ### BEGIN HIDDEN TESTS
    model = make_model(seed=12, dropout=0.3)
    calls = record_calls(model)
    loader = make_loader(seed=12)
    first, second = evaluate(model, loader), evaluate(model, loader)
    assert first == second, "Twee evaluaties van hetzelfde model gaven een ander antwoord: er speelt nog toeval mee."
    assert calls and not any(c["training"] for c in calls), (
        "Tijdens evaluate stond het model (deels) in train-modus.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_keeps_buffers", "grade": true, "points": 1}
"""Checks that evaluate changes no BatchNorm buffer."""
with quiet():
    model, loader = make_model(seed=3, batchnorm=True), make_loader(seed=3)
    before = buffers(model)
    evaluate(model, loader)
    assert buffers_unchanged(model, before), (
        "Na evaluate zijn running_mean, running_var of num_batches_tracked veranderd. Tip: wanneer werkt BatchNorm "
        "zijn buffers bij?")
    ### BEGIN HIDDEN TESTS
    # Batches of one sample: only possible (and side-effect free) when BatchNorm uses its running statistics.
    model, loader = make_model(seed=13, dropout=0.2, batchnorm=True), make_loader(seed=13, n=12, batch_size=1)
    before = buffers(model)
    acc = evaluate(model, loader)
    assert 0.0 <= acc <= 1.0, f"Een accuracy ligt tussen 0 en 1, niet {acc}."
    assert buffers_unchanged(model, before), "Met batches van één voorbeeld veranderden de BatchNorm-buffers."
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_no_graph", "grade": true, "points": 1}
"""Checks that evaluate builds no autograd graph and leaves requires_grad and .grad of every parameter as it was."""
with quiet():
    model, loader = make_model(seed=4), make_loader(seed=4)
    model[0].requires_grad_(False)  # the caller froze the first layer, e.g. for fine-tuning
    flags_before = [p.requires_grad for p in model.parameters()]
    calls = record_calls(model)
    evaluate(model, loader)
    assert calls, "evaluate riep het model niet aan."
    assert not any(c["graph"] for c in calls), (
        "De uitvoer van het model had een rekengraaf (requires_grad=True). Tip: model.eval() verandert alleen het "
        "gedrag van lagen, niet wat autograd doet.")
    assert [p.requires_grad for p in model.parameters()] == flags_before, (
        "Na evaluate is requires_grad van een parameter anders dan ervoor (de aanroeper had de eerste laag "
        "bevroren). Tip: er is een manier om de graaf uit te zetten zonder aan de parameters te komen.")
    ### BEGIN HIDDEN TESTS
    model = make_model(seed=14, dropout=0.5, batchnorm=True)
    calls = record_calls(model)
    evaluate(model, make_loader(seed=14))
    assert calls and not any(c["graph"] for c in calls), "Met Dropout en BatchNorm bouwde evaluate een rekengraaf."
    assert all(p.requires_grad and p.grad is None for p in model.parameters()), (
        "evaluate veranderde requires_grad of .grad van het model.")
    # Gradients the caller accumulated so far stay; autograd's global switch is as the caller left it.
    model, loader = make_model(seed=15), make_loader(seed=15)
    X_h, y_h = next(iter(loader))
    nn.CrossEntropyLoss()(model(X_h), y_h).backward()
    grads_before = [p.grad.clone() for p in model.parameters()]
    evaluate(model, loader)
    assert all(p.grad is not None and torch.equal(p.grad, g) for p, g in zip(model.parameters(), grads_before)), (
        "De gradients die al in .grad stonden, zijn na evaluate weg of veranderd. Tip: een validatie midden in "
        "gradient accumulation mag die niet aanraken.")
    grad_enabled_after = torch.is_grad_enabled()
    torch.set_grad_enabled(True)  # so that a failure here does not break the later cells
    assert grad_enabled_after, (
        "Na evaluate staat autograd voor het hele programma uit: een volgende trainingsstap bouwt geen graaf meer. "
        "Tip: zet autograd alleen uit voor de duur van de evaluatie.")
    with torch.no_grad():
        evaluate(model, loader)
        grad_enabled_inside = torch.is_grad_enabled()
    assert not grad_enabled_inside, (
        "evaluate, aangeroepen binnen torch.no_grad(), zette autograd daarna weer aan. Tip: zet terug wat er "
        "stond, niet wat je denkt dat er stond.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_restores_mode", "grade": true, "points": 1}
"""Checks that evaluate leaves the model in the mode it was in before the call."""
with quiet():
    model, loader = make_model(seed=5, dropout=0.5, batchnorm=True), make_loader(seed=5)
    model.train()
    evaluate(model, loader)
    assert model.training and all(m.training for m in model.modules()), (
        "Het model stond vóór evaluate in train-modus en erna niet meer. Tip: wie na de validatie verder traint, "
        "traint anders stilletjes zonder Dropout (zie misvatting 5).")
    ### BEGIN HIDDEN TESTS
    model.eval()
    evaluate(model, loader)
    assert not model.training and not any(m.training for m in model.modules()), (
        "Een model dat in eval-modus binnenkwam, moet in eval-modus blijven (bijvoorbeeld in een serving-proces).")
    model.train()
    evaluate(model, loader)
    assert model.training, "Na eval → train → evaluate stond het model niet meer in train-modus."
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_rejects_empty_loader", "grade": true, "points": 1}
"""Checks that evaluate raises a ValueError when the loader yields no samples."""
with quiet():
    model = make_model(seed=6)
    try:
        evaluate(model, [])
    except ValueError as exc:
        assert_dutch(exc, "evaluate(model, [])")
    else:
        raise AssertionError("evaluate(model, []) gaf geen ValueError. Tip: wat is de accuracy van nul voorbeelden?")
    ### BEGIN HIDDEN TESTS
    empty = DataLoader(TensorDataset(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)), batch_size=4)
    try:
        evaluate(model, empty)
    except ValueError as exc:
        assert_dutch(exc, "een lege DataLoader")
    else:
        raise AssertionError("Een lege DataLoader gaf geen ValueError.")
    empty_batches = [(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))] * 2
    try:
        evaluate(model, empty_batches)
    except ValueError as exc:
        assert_dutch(exc, "een loader met alleen lege batches")
    except ZeroDivisionError:
        raise AssertionError("Een loader met twee lege batches gaf een ZeroDivisionError in plaats van een "
                             "ValueError. Tip: twee batches zijn nog geen voorbeelden.") from None
    else:
        raise AssertionError("Een loader met alleen lege batches gaf geen ValueError.")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 2 — BatchNorm bevriezen voor fine-tuning (7 punten)
#
# Bij fine-tuning met kleine batches wil je vaak dat BatchNorm de statistieken van het voorgetrainde model houdt.
# Dat vraagt twee dingen: de laag moet in eval-modus blijven, ook als iemand later `model.train()` aanroept, en zijn
# `weight` en `bias` mogen niet meer leren. `model.train()` roept `train(mode)` aan op elke submodule (zie het begin
# van dit notebook); een laag kan dat dus zelf anders afhandelen. Twee standaardmanieren:
#
# 1. **Vervang de laag** door een bevroren variant die altijd met de running statistieken normaliseert, zoals
#    `torchvision.ops.FrozenBatchNorm2d` (daar zijn `weight`, `bias` en de statistieken buffers, geen parameters;
#    hij verwacht invoer met vorm `(N, C, H, W)`).
# 2. **Een subklasse** van de BatchNorm-klasse die `train()` overschrijft, zodat de laag altijd in eval-modus blijft.
#
# Twee dingen die wél in het geheugen werken maar elders breken: een `lambda`, een functie die binnen een andere
# functie is gedefinieerd of een met `types.MethodType` gebonden functie die je op één laag plakt
# (`layer.train = ...`) gaat niet mee als het model wordt gepickled (`torch.save(model)`, of het model naar een
# worker-proces sturen): het laden faalt of de laag is daarna niet meer bevroren. En wie de BatchNorm-**klasse** zelf
# aanpast, verandert elke BatchNorm in het hele proces, ook in andere modellen.
#
# Schrijf `freeze_batchnorm(model)`, die het model ter plekke aanpast zodat daarna voor **alle** BatchNorm-lagen
# (`BatchNorm1d`, `BatchNorm2d`, `BatchNorm3d`, ook diep genest) geldt:
# - ze normaliseren met hun running statistieken (de uitvoer is die van het model in eval-modus, ook als het model
#   traint) en veranderen hun buffers niet meer;
# - hun parameters (`weight`, `bias`) leren niet meer, terwijl de rest van het model gewoon doortraint (en Dropout
#   gewoon werkt in train-modus);
# - de andere lagen houden de modus die ze hadden: `freeze_batchnorm` zelf zet het model niet in train- of eval-modus;
# - dat blijft zo na een latere `train()` op het model of op een deel ervan (bijvoorbeeld na jouw `evaluate`, of in
#   de trainingslus), ook als je maar een deel van het model aanroept (één blok, een backbone);
# - dat blijft zo na `torch.save(model, ...)` en `torch.load(..., weights_only=False)` in dezelfde sessie;
# - BatchNorm-lagen buiten `model` (andere modellen, nieuwe lagen) veranderen niet, en de klassen van PyTorch zelf
#   (`nn.Module`, `nn.BatchNorm1d`, …) ook niet.
#
# Bevat het model geen enkele BatchNorm-laag, gooi dan een `ValueError`; is `model` geen `nn.Module`, een
# `TypeError` (beide met een Nederlandse melding).
#
# Hulpklassen of -functies zet je bovenaan de cel, op moduleniveau: een klasse die binnen een functie is gedefinieerd,
# kan pickle niet terugvinden. Heb je geen hulpcode nodig, verwijder dan de eerste `raise NotImplementedError(...)`-regel.

# %% nbgrader={"grade_id": "freeze_batchnorm", "solution": true}
# Module-level helpers for freeze_batchnorm (classes, functions) go here; if you need none, delete the stub.
### BEGIN SOLUTION
class FrozenBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d that stays in eval mode: it always normalises with its running statistics."""

    def train(self, mode: bool = True) -> "FrozenBatchNorm1d":
        return super().train(False)


class FrozenBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that stays in eval mode: it always normalises with its running statistics."""

    def train(self, mode: bool = True) -> "FrozenBatchNorm2d":
        return super().train(False)


class FrozenBatchNorm3d(nn.BatchNorm3d):
    """BatchNorm3d that stays in eval mode: it always normalises with its running statistics."""

    def train(self, mode: bool = True) -> "FrozenBatchNorm3d":
        return super().train(False)
### END SOLUTION


def freeze_batchnorm(model: nn.Module) -> None:
    """Freeze every BatchNorm layer of ``model`` in place: running statistics, no learning, robust to ``train()``."""
    ### BEGIN SOLUTION
    frozen_class = {nn.BatchNorm1d: FrozenBatchNorm1d, nn.BatchNorm2d: FrozenBatchNorm2d,
                    nn.BatchNorm3d: FrozenBatchNorm3d}
    if not isinstance(model, nn.Module):
        raise TypeError(f"model moet een torch.nn.Module zijn, niet {type(model).__name__}")
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not layers:
        raise ValueError("het model bevat geen BatchNorm-laag; er valt niets te bevriezen")
    unknown = {type(m).__name__ for m in layers
               if type(m) not in frozen_class and type(m) not in frozen_class.values()}
    if unknown:
        raise TypeError(f"deze BatchNorm-varianten kan freeze_batchnorm niet bevriezen: {sorted(unknown)}")
    for layer in layers:
        for p in layer.parameters():
            p.requires_grad_(False)
        # In place, the same object (parameters, buffers, hooks): swap in the subclass whose train() keeps it in eval.
        layer.__class__ = frozen_class.get(type(layer), type(layer))
        layer.eval()
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_freeze_batchnorm_keeps_buffers", "grade": true, "points": 1}
"""Checks that after freeze_batchnorm, training no longer changes any BatchNorm buffer."""
with quiet():
    require_defined("freeze_batchnorm")
    model, loader = make_model(seed=7, batchnorm=True), make_loader(seed=7)
    freeze_batchnorm(model)
    before = buffers(model)
    train_steps(model, loader)
    assert buffers_unchanged(model, before), (
        "Na freeze_batchnorm veranderen de BatchNorm-buffers nog tijdens het trainen. Tip: wat bepaalt of "
        "BatchNorm zijn running statistieken bijwerkt? requires_grad in elk geval niet.")
    ### BEGIN HIDDEN TESTS
    # Nested BatchNorm2d in a small conv net.
    seed_everything(17)
    conv = nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU()), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 3)).train()
    freeze_batchnorm(conv)
    before = buffers(conv)
    g = torch.Generator().manual_seed(17)
    images = [(torch.randn(8, 1, 6, 6, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(3)]
    train_steps(conv, images)
    assert buffers_unchanged(conv, before), (
        "In een conv-net met een geneste BatchNorm2d veranderen de buffers nog tijdens het trainen. Tip: zoek je "
        "alle BatchNorm-soorten, ook dieper in het model?")
    # Nested BatchNorm3d (video, volumes).
    conv3d = nn.Sequential(nn.Sequential(nn.Conv3d(1, 2, 1), nn.BatchNorm3d(2), nn.ReLU()), nn.Flatten(),
                           nn.Linear(2 * 2 * 3 * 3, 3)).train()
    freeze_batchnorm(conv3d)
    before = buffers(conv3d)
    volumes = [(torch.randn(4, 1, 2, 3, 3, generator=g), torch.randint(0, 3, (4,), generator=g)) for _ in range(3)]
    train_steps(conv3d, volumes)
    assert buffers_unchanged(conv3d, before), (
        "In een model met een geneste BatchNorm3d veranderen de buffers nog tijdens het trainen. Tip: de opdracht "
        "noemt drie BatchNorm-soorten.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_uses_running_stats", "grade": true, "points": 1}
"""Checks that after freeze_batchnorm, the model in train mode gives the outputs of the original model in eval mode."""
with quiet():
    require_defined("freeze_batchnorm")
    model = pretrained_model(seed=25)
    X_h = make_loader(seed=25).dataset.tensors[0][:8]
    with torch.no_grad():
        expected = copy.deepcopy(model).eval()(X_h)
    freeze_batchnorm(model)
    model.train()
    with torch.no_grad():
        got = model(X_h)
    assert torch.allclose(got, expected, atol=1e-5), (
        "In train-modus geeft het bevroren model niet de uitvoer van het oorspronkelijke model in eval-modus. Tip: "
        "normaliseert BatchNorm nog met de statistieken van de batch, of helemaal niet meer?")
    ### BEGIN HIDDEN TESTS
    # A batch of one sample works and gives the same row as inside a bigger batch; nested, with Dropout off (p=0).
    model = pretrained_model(seed=26)
    outer = nn.Sequential(nn.Identity(), model)
    freeze_batchnorm(outer)
    outer.train()
    with torch.no_grad():
        single, batch = outer(X_h[:1]), outer(X_h)[:1]
    assert torch.allclose(single, batch, atol=1e-5), (
        "Een batch van één voorbeeld geeft een andere uitvoer dan hetzelfde voorbeeld in een grotere batch.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_fixes_parameters", "grade": true, "points": 1}
"""Checks that after freeze_batchnorm, BatchNorm's weight and bias stop learning; the other layers learn, keep their mode."""
with quiet():
    require_defined("freeze_batchnorm")
    model, loader = make_model(seed=8, batchnorm=True), make_loader(seed=8)
    bn_before = {name: t.detach().clone() for name, t in model[1].state_dict().items() if name in ("weight", "bias")}
    freeze_batchnorm(model)
    linear_before = model[0].weight.detach().clone()
    train_steps(model, loader)
    bn_after = {name: t for name, t in model[1].state_dict().items() if name in ("weight", "bias")}
    assert bn_after.keys() == bn_before.keys(), (
        "De weight en bias van BatchNorm zijn uit het model verdwenen. Bevriezen is iets anders dan weghalen.")
    assert all(torch.equal(bn_after[n], bn_before[n]) for n in bn_before), (
        "De weight of bias van BatchNorm is veranderd door de optimizer. Tip: eval() verandert het gedrag van de "
        "laag, maar houdt de optimizer niet tegen.")
    assert not torch.equal(model[0].weight, linear_before), (
        "De Linear-laag leert niet meer. Alleen BatchNorm moet vast staan.")
    ### BEGIN HIDDEN TESTS
    model, loader = make_model(seed=18, dropout=0.2, batchnorm=True), make_loader(seed=18)
    bn_before = {name: t.detach().clone() for name, t in model[1].state_dict().items() if name in ("weight", "bias")}
    freeze_batchnorm(model)
    model.train()
    others_before = parameters_vector(nn.Sequential(model[0], model[4]))
    train_steps(model, loader)
    bn_after = {name: t for name, t in model[1].state_dict().items() if name in ("weight", "bias")}
    assert all(torch.equal(bn_after[n], bn_before[n]) for n in bn_before), (
        "Na model.train() is de weight of bias van BatchNorm veranderd door de optimizer.")
    assert not torch.equal(parameters_vector(nn.Sequential(model[0], model[4])), others_before), (
        "De Linear-lagen leren niet meer. Alleen BatchNorm moet vast staan.")
    # freeze_batchnorm itself switches no other layer: a model in train mode keeps Dropout on, one in eval mode off.
    model = make_model(seed=28, dropout=0.5, batchnorm=True)
    freeze_batchnorm(model)
    assert model.training and model[3].training, (
        "Na freeze_batchnorm staat een model dat in train-modus was (deels) in eval-modus: Dropout doet dan niets "
        "meer tot de volgende model.train(). Tip: zet alleen BatchNorm in eval-modus.")
    model = make_model(seed=29, dropout=0.5, batchnorm=True).eval()
    freeze_batchnorm(model)
    assert not any(m.training for i, m in enumerate(model) if i != 1) and not model.training, (
        "Een model dat in eval-modus was, staat na freeze_batchnorm (deels) in train-modus. Tip: laat de modus "
        "van de andere lagen met rust.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_survives_train", "grade": true, "points": 1}
"""Checks that BatchNorm stays frozen after a later model.train() call."""
with quiet():
    require_defined("freeze_batchnorm")
    model, loader = make_model(seed=9, batchnorm=True), make_loader(seed=9)
    freeze_batchnorm(model)
    model.eval()
    model.train()  # e.g. after validation, at the start of the next epoch
    before = buffers(model)
    train_steps(model, loader)
    assert buffers_unchanged(model, before), (
        "Na model.train() werkt BatchNorm zijn buffers weer bij. Tip: hoe zet model.train() zijn submodules in "
        "train-modus, en kun je dat voor één laag anders laten lopen?")
    ### BEGIN HIDDEN TESTS
    # Nested in a bigger model, train(True) on the outer one; Dropout must still be active in train mode.
    model, loader = make_model(seed=19, dropout=0.5, batchnorm=True), make_loader(seed=19)
    freeze_batchnorm(model)
    outer = nn.Sequential(model, nn.Identity())
    outer.eval()
    outer.train(True)
    before = buffers(outer)
    X_h, _ = next(iter(loader))
    with torch.no_grad():
        assert not torch.equal(outer(X_h), outer(X_h)), (
            "Na freeze_batchnorm en model.train() is Dropout niet meer actief. Alleen BatchNorm moet in eval-modus "
            "blijven.")
    train_steps(outer, loader)
    assert buffers_unchanged(outer, before), (
        "In een groter model, na outer.train(True), werkt BatchNorm zijn buffers weer bij.")
    # Freeze the outer model, then train() on and train through only the inner part.
    inner = make_model(seed=30, batchnorm=True)
    outer = nn.Sequential(inner, nn.Identity())
    freeze_batchnorm(outer)
    inner.train()
    before = buffers(inner)
    train_steps(inner, make_loader(seed=30))
    assert buffers_unchanged(inner, before), (
        "Is het hele model bevroren en roep je daarna train() aan op een deel ervan, dan werkt BatchNorm bij een "
        "forward door alleen dat deel zijn buffers weer bij. Tip: het moet de laag zelf zijn die bevroren blijft, "
        "niet het model eromheen.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_survives_save_and_load", "grade": true, "points": 1}
"""Checks that a frozen model survives torch.save and torch.load and is still frozen afterwards."""
with quiet():
    require_defined("freeze_batchnorm")
    model, loader = make_model(seed=20, dropout=0.5, batchnorm=True), make_loader(seed=20)
    freeze_batchnorm(model)
    try:
        loaded = save_and_load(model)
    except Exception as exc:
        raise AssertionError(
            f"torch.save/torch.load van het bevroren model faalt ({type(exc).__name__}: {exc}). Tip: wat je aan "
            "één object plakt of binnen een functie definieert, kan pickle niet terugvinden.") from None
    loaded.train()
    before = buffers(loaded)
    train_steps(loaded, loader)
    assert buffers_unchanged(loaded, before), (
        "Na torch.save/torch.load en model.train() werkt BatchNorm zijn buffers weer bij: het bevriezen ging niet "
        "mee in de pickle.")
    ### BEGIN HIDDEN TESTS
    # Plain pickle and copy.deepcopy of a nested model, then train() on the copy.
    model = make_model(seed=27, batchnorm=True)
    outer = nn.Sequential(model, nn.Identity())
    freeze_batchnorm(outer)
    for label, clone in (("pickle", pickle.loads(pickle.dumps(outer))), ("copy.deepcopy", copy.deepcopy(outer))):
        clone.train()
        before = buffers(clone)
        train_steps(clone, make_loader(seed=27))
        assert buffers_unchanged(clone, before), f"Na {label} en model.train() is BatchNorm niet meer bevroren."
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_only_this_model", "grade": true, "points": 1}
"""Checks that freeze_batchnorm leaves BatchNorm layers outside the model handed in alone."""
with quiet():
    require_defined("freeze_batchnorm")
    bystander, loader = make_model(seed=23, batchnorm=True), make_loader(seed=23)
    freeze_batchnorm(make_model(seed=24, batchnorm=True))
    bystander.eval()
    bystander.train()
    before = buffers(bystander)
    train_steps(bystander, loader)
    assert bystander[1].training and not buffers_unchanged(bystander, before), (
        "Een ander model, dat niet bevroren is, traint zijn BatchNorm niet meer. Tip: verander alleen de lagen van "
        "het model dat je meekrijgt, niet de klasse nn.BatchNorm1d of nn.Module.")
    ### BEGIN HIDDEN TESTS
    fresh = [nn.BatchNorm1d(3), nn.BatchNorm2d(3), nn.BatchNorm3d(3)]
    for layer in fresh:
        layer.eval()
        layer.train()
    assert all(layer.training and all(p.requires_grad for p in layer.parameters()) for layer in fresh), (
        "Nieuwe BatchNorm-lagen, gemaakt na freeze_batchnorm, komen niet meer in train-modus of leren niet meer.")
    drop = nn.Dropout(0.5)
    drop.eval()
    drop.train()
    assert drop.training, "Na freeze_batchnorm komt een nieuwe Dropout-laag niet meer in train-modus."
    patched = patched_torch_classes()
    assert not patched, (
        f"Na freeze_batchnorm zijn klassen van PyTorch zelf veranderd: {', '.join(patched)}. Tip: verander alleen "
        "de lagen van het model dat je meekrijgt; een eigen subklasse mag wel.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_rejects_bad_model", "grade": true, "points": 1}
"""Checks that freeze_batchnorm raises a ValueError for a model without BatchNorm."""
with quiet():
    require_defined("freeze_batchnorm")
    try:
        freeze_batchnorm(make_model(seed=10))
    except ValueError as exc:
        assert_dutch(exc, "een model zonder BatchNorm")
    else:
        raise AssertionError("Een model zonder BatchNorm gaf geen ValueError. Tip: stil niets doen verbergt een fout "
                             "van de gebruiker.")
    ### BEGIN HIDDEN TESTS
    try:
        freeze_batchnorm("resnet18")
    except TypeError as exc:
        assert_dutch(exc, "een string als model")
    else:
        raise AssertionError("Een string in plaats van een model gaf geen TypeError.")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 3 — Reken het uit (2 punten)
#
# Een verse `nn.BatchNorm1d(2)` (standaardinstellingen, dus `running_mean = [0, 0]`, `running_var = [1, 1]`) in
# train-modus krijgt één batch:
# ```python
# X_small = torch.tensor([[1.0,  2.0],
#                         [3.0,  6.0],
#                         [5.0, 10.0]])
# ```
# Reken zonder de code te draaien uit (controleren mag daarna):
#
# a. `running_mean` na deze ene forward. Ken het antwoord (een lijst van twee `float`s) toe aan `running_mean_after`.
#
# b. `running_var` na deze ene forward. Ken het antwoord (een lijst van twee `float`s) toe aan `running_var_after`.

# %% nbgrader={"grade_id": "quantitative_answers", "solution": true}
### BEGIN SOLUTION
running_mean_after = [0.9 * 0.0 + 0.1 * 3.0, 0.9 * 0.0 + 0.1 * 6.0]  # batch mean (3, 6)
running_var_after = [0.9 * 1.0 + 0.1 * 4.0, 0.9 * 1.0 + 0.1 * 16.0]  # unbiased batch variance (4, 16)
### END SOLUTION

# %% nbgrader={"grade_id": "test_running_mean_value", "grade": true, "points": 1}
"""Checks running_mean after one train-mode forward of X_small through a fresh BatchNorm1d(2)."""
with quiet():
    require_defined("running_mean_after")
    assert isinstance(running_mean_after, (list, tuple)) and len(running_mean_after) == 2, (
        "running_mean_after moet een lijst met twee getallen zijn.")
    assert all(isinstance(v, (int, float)) for v in running_mean_after), "Gebruik gewone Python-getallen."
    ### BEGIN HIDDEN TESTS
    assert all(abs(a - b) < 1e-4 for a, b in zip(running_mean_after, [0.3, 0.6])), (
        "running_mean_after klopt niet. Tip: met welk gewicht telt de batch mee, met welk de oude waarde (demo 2)?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_running_var_value", "grade": true, "points": 1}
"""Checks running_var after one train-mode forward of X_small through a fresh BatchNorm1d(2)."""
with quiet():
    require_defined("running_var_after")
    assert isinstance(running_var_after, (list, tuple)) and len(running_var_after) == 2, (
        "running_var_after moet een lijst met twee getallen zijn.")
    assert all(isinstance(v, (int, float)) and v > 0 for v in running_var_after), (
        "Een variantie is een positief getal.")
    ### BEGIN HIDDEN TESTS
    assert all(abs(a - b) < 1e-4 for a, b in zip(running_var_after, [1.3, 2.5])), (
        "running_var_after klopt niet. Tip: welke variantie van de batch gebruikt BatchNorm voor de running "
        "statistiek, die met n of die met n − 1 (demo 2)?")
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Leg in eigen woorden het verschil uit tussen `model.train()` en `model.eval()` en noem twee concrete effecten op
# layers. Noem ook wat `eval()` **niet** doet.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Mechanisme:* `train()`/`eval()` zetten alleen de vlag `.training` (`True`/`False`), recursief op alle
#    submodules. Lagen lezen die vlag in hun `forward`; een eigen laag moet dat zelf doen.
# 2. *Effect 1, Dropout:* in train-modus wordt elke activatie met kans `p` op nul gezet en worden de overlevers met
#    `1/(1−p)` geschaald (verwachte waarde gelijk); in eval-modus is Dropout de identiteit.
# 3. *Effect 2, BatchNorm:* in train-modus normaliseert het met gemiddelde/variantie van de batch en werkt het
#    `running_mean`/`running_var` bij (momentum 0.1, zuivere variantie); in eval-modus normaliseert het met die
#    running statistieken en verandert het niets. Gevolg: in train-modus hangt de uitvoer van een voorbeeld af van de
#    rest van de batch (en een batch met maar één waarde per kanaal, zoals `(1, C)` bij `BatchNorm1d`, geeft een
#    fout), in eval-modus is hij deterministisch.
# 4. *Wat eval() niet doet:* het zet autograd niet uit — daarvoor `torch.no_grad()`/`torch.inference_mode()` — en
#    omgekeerd zet `no_grad()` Dropout niet uit. En het zet zichzelf niet terug: na validatie moet je weer
#    `model.train()` aanroepen. (Het antwoordmodel noemt dit niet, en zijn "activeert training-specifieke lagen" is
#    misleidend: er wordt niets geactiveerd, alleen een vlag gezet.)
#
# Puntentoekenning: 1 punt voor 1, 1 punt voor 2 + 3 (beide effecten correct, met de schaal of de running
# statistieken), 1 punt voor 4.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - `model.train()`/`model.eval()` zetten alleen `.training`, recursief; lagen (ook jouw eigen) lezen die vlag.
# - Dropout: in train-modus fractie `p` op nul en de rest × `1/(1−p)`; in eval-modus de identiteit.
# - BatchNorm: in train-modus batch-statistieken + buffers bijwerken (momentum 0.1, zuivere variantie); in eval-modus
#   running statistieken en niets bijwerken. Met maar één waarde per kanaal (bijvoorbeeld `(1, C)` bij
#   `BatchNorm1d`) kan train-modus niet; een `BatchNorm2d` op één plaatje wel.
# - `eval()` zet autograd niet uit: evalueer met `eval()` **én** `torch.no_grad()`/`torch.inference_mode()`, en zet
#   daarna de oude modus terug.
# - Bevriezen voor fine-tuning: `requires_grad=False` stopt het leren van `weight`/`bias`, niet het bijwerken van de
#   buffers; daarvoor moet de laag in eval-modus blijven, ook na een latere `model.train()`: een subklasse die
#   `train()` overschrijft of een `FrozenBatchNorm2d`, niet een functie die je op één laag plakt.
# - `LayerNorm` en `GroupNorm` kennen geen modus; `no_grad()`/`inference_mode()` zetten Dropout niet uit.

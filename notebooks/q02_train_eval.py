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
# > **Oefenvraag.** Leg uit het verschil tussen `model.train()` en `model.eval()` en noem twee concrete effecten
# > op layers.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. met code laten zien wat Dropout en BatchNorm in train- en in eval-modus doen (inclusief de schaal `1/(1−p)` en
#    de running statistieken met `momentum`);
# 2. uitleggen waarom `eval()` **geen** autograd uitzet, en wat `torch.no_grad()` en `torch.inference_mode()` wél doen;
# 3. een `evaluate`-functie schrijven zonder bijwerkingen: geen rekengraaf, geen gewijzigde buffers, en het model
#    blijft in de modus waarin het was;
# 4. BatchNorm bevriezen voor fine-tuning op een manier die een latere `model.train()` overleeft.
#
# **Tijd:** ongeveer 40 minuten. Alles draait op de CPU, zonder downloads.
#
# In de code gebruiken we vaste namen: `model`, `optimizer`, `loss_fn`, `loader`, `X`/`y`, `lr`, `batch_size` en
# `num_epochs`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.

# %% nbgrader={"grade_id": "setup", "locked": true}
import copy
import statistics
import time

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlinfra import HEAVY, seed_everything
from mlinfra.data import make_blobs
from mlinfra.grading import quiet
from mlinfra.models import mlp, parameters_vector
from mlinfra.plots import plot_curves, set_style

set_style()
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

# %%
seed_everything(0)
activations = torch.relu(torch.randn(20_000) + 1.0)  # typical post-ReLU activations
drop = nn.Dropout(0.5)
fig, ax = plt.subplots()
bins = torch.linspace(0, 8, 81).tolist()
for mode, color in (("eval", "tab:blue"), ("train", "tab:orange")):
    getattr(drop, mode)()
    out = drop(activations)
    ax.hist(out.tolist(), bins=bins, alpha=0.6, color=color,
            label=f"{mode}-modus (gemiddelde {out.mean():.3f}, fractie 0: {(out == 0).float().mean():.2f})")
ax.set_xlabel("waarde van de activatie na Dropout(p=0.5)")
ax.set_ylabel("aantal activaties")
ax.set_title("Dropout in train-modus: nog eens de helft op nul, de rest × 2")
ax.legend()
plt.show()

# %% [markdown]
# **Conclusie:** in train-modus is ongeveer een fractie `p` nul en zijn de overlevers precies `1/(1−p)` keer zo
# groot, zodat het gemiddelde gelijk blijft (≈ 1); in eval-modus komt de invoer onveranderd terug.

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
ax.set_xlabel("batch_size")
ax.set_ylabel("std van de uitvoer voor hetzelfde x₀\n(over willekeurige batches)")
ax.set_title("BatchNorm: in train-modus hangt de uitvoer af van de batch")
ax.legend()
plt.show()

# %% [markdown]
# **Conclusie:** in train-modus verandert de uitvoer voor hetzelfde `x₀` met de andere voorbeelden in de batch,
# sterker naarmate de batch kleiner is; in eval-modus is de spreiding exact 0.
#
# Het uiterste geval is een batch van één voorbeeld: dan is er geen variantie te schatten. PyTorch weigert dat in
# train-modus; in eval-modus gaat het goed.

# %%
layer.train()
try:
    layer(x0[None])
except ValueError as exc:
    print(f"train-modus, batch van 1 → {type(exc).__name__}: {exc}")
layer.eval()
print(f"eval-modus,  batch van 1 → uitvoer met vorm {tuple(layer(x0[None]).shape)}, geen fout")

# %% [markdown]
# **Conclusie:** `BatchNorm1d` in train-modus met één voorbeeld per batch geeft de `ValueError` hierboven; in
# eval-modus werkt dezelfde aanroep. (Laat je laatste trainingsbatch daarom nooit één voorbeeld groot worden,
# bijvoorbeeld met `drop_last=True`.)

# %% [markdown]
# ## Demo 4 — Zelf schuiven: Dropout, modus en batchgrootte samen
#
# Een klein netwerk `Linear → BatchNorm1d → ReLU → Dropout(p) → Linear`. We sturen hetzelfde voorbeeld `x₀` 200 keer
# door het netwerk, telkens in een andere willekeurige batch, en tekenen de verdeling van de uitvoer. De stippellijn
# is de (vaste) uitvoer in eval-modus.
#
# Hieronder staat eerst de figuur voor `p = 0.5`, train-modus, `batch_size = 8`. Draai je het notebook zelf in
# JupyterLab, dan verschijnen daaronder schuifknoppen waarmee je `p`, de modus en `batch_size` kunt veranderen.
# Zie je geen knoppen (bijvoorbeeld op GitHub), dan is de figuur hieronder het resultaat.

# %%
seed_everything(0)
spread_model = mlp(8, 32, 1, dropout=0.5, batchnorm=True)
with torch.no_grad():  # warm up BatchNorm's running statistics
    for xb in X_train.split(64):
        spread_model(xb)
spread_model.eval()


def draw_spread(p: float = 0.5, mode: str = "train", batch_size: int = 8) -> None:
    """Histogram of the model's output for x0 over many random batches, in the chosen mode."""
    g = seed_everything(1)
    model = copy.deepcopy(spread_model)  # every redraw starts from the same weights and buffers
    model[3].p = p  # the Dropout layer
    with torch.no_grad():
        model.eval()
        reference = model(x0[None]).item()
        getattr(model, mode)()
        outs = []
        for _ in range(200 if HEAVY else 50):
            others = X_train[torch.randint(0, len(X_train), (batch_size - 1,), generator=g)]
            outs.append(model(torch.cat([x0[None], others]))[0, 0].item())
    fig, ax = plt.subplots()
    ax.hist(outs, bins=30, color="tab:orange" if mode == "train" else "tab:blue", alpha=0.8)
    ax.axvline(reference, color="black", linestyle="--", label=f"eval-modus: {reference:.3f}")
    ax.set_xlabel("uitvoer van het model voor hetzelfde x₀")
    ax.set_ylabel("aantal forward passes")
    ax.set_title(f"{mode}-modus, p = {p:.2f}, batch_size = {batch_size}: std {statistics.pstdev(outs):.3f}")
    ax.legend()
    plt.show()


draw_spread()  # the static figure, for readers without widgets

# %%
if HEAVY:  # the interactive version only for a reader, never while grading
    try:
        import ipywidgets as widgets
        from IPython.display import display
    except ImportError:
        print("ipywidgets is niet geïnstalleerd; de figuur hierboven is de statische versie.")
    else:
        controls = {
            "p": widgets.FloatSlider(value=0.5, min=0.0, max=0.9, step=0.1, description="dropout p"),
            "mode": widgets.ToggleButtons(options=["train", "eval"], value="train", description="modus"),
            "batch_size": widgets.IntSlider(value=8, min=2, max=128, step=1, description="batch_size"),
        }
        display(widgets.VBox(list(controls.values())), widgets.interactive_output(draw_spread, controls))

# %% [markdown]
# **Conclusie:** in train-modus is de uitvoer voor hetzelfde voorbeeld een kansvariabele: hoe groter `p` en hoe
# kleiner `batch_size`, hoe breder de verdeling (std in de titel). In eval-modus is ze één vast getal.

# %% [markdown]
# ## Veelgemaakte misvattingen
#
# ### Misvatting 1 — "`model.eval()` zet de gradients uit"
#
# Nee: `eval()` zet alleen `.training` op `False`. Autograd bouwt gewoon een rekengraaf en bewaart daarvoor
# tussenresultaten (activaties) in het geheugen. Dat zet je uit met `torch.no_grad()` of, nog strenger,
# `torch.inference_mode()`. We tellen hoeveel bytes autograd bewaart voor een `backward()` die nooit komt
# (parameters zelf niet meegeteld), en meten de tijd per forward (mediaan).

# %%
seed_everything(0)
big_model = mlp(8, 1024, 4, dropout=0.5, batchnorm=True)
big_model.eval()
X_big = X.repeat(2, 1)  # 2048 samples
param_storages = {p.untyped_storage().data_ptr() for p in big_model.parameters()}


def saved_bytes_and_time(context, num_repeats: int) -> tuple[bool, int, float]:
    """Forward X_big through big_model under ``context``; return (output has graph, bytes saved, median ms)."""
    saved = [0]

    def pack(t: torch.Tensor) -> torch.Tensor:
        if t.untyped_storage().data_ptr() not in param_storages:
            saved[0] += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), context():
        out = big_model(X_big)
    times = []
    with context():
        big_model(X_big)  # warm-up, not timed
    for _ in range(num_repeats):
        start = time.perf_counter()
        with context():
            big_model(X_big)
        times.append(1000 * (time.perf_counter() - start))
    return out.requires_grad, saved[0], statistics.median(times)


num_repeats = 30 if HEAVY else 3
print(f"{'model.eval() plus':<28}{'graaf?':>8}{'bewaard voor backward':>24}{'tijd (mediaan)':>17}")
for name, context in (("niets", torch.enable_grad), ("torch.no_grad()", torch.no_grad),
                      ("torch.inference_mode()", torch.inference_mode)):
    has_graph, n_bytes, ms = saved_bytes_and_time(context, num_repeats)
    print(f"{name:<28}{str(has_graph):>8}{n_bytes / 2**20:>20.1f} MiB{ms:>14.1f} ms")

# %% [markdown]
# **Conclusie:** met alleen `eval()` heeft de uitvoer nog een rekengraaf en houdt autograd megabytes aan activaties
# vast; met `no_grad()` of `inference_mode()` is dat 0 bytes. (De tijdwinst is op zo'n klein model bescheiden en
# wisselt per machine; het geheugen is het harde verschil.) Voor evaluatie heb je dus **beide** nodig: `eval()` voor
# het gedrag van de lagen, `no_grad()`/`inference_mode()` voor autograd.

# %% [markdown]
# ### Misvatting 2 — "`eval()` schakelt alle willekeur in mijn model uit"
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
# ### Misvatting 3 — "Evalueren in train-modus maakt niet zoveel uit"
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


model = train_model(num_epochs=5 if HEAVY else 2)
running_mean_before = model[1].running_mean.clone()
acc_eval = accuracy_in_mode(model, "eval")
acc_train = [accuracy_in_mode(model, "train") for _ in range(20)]
print(f"eval-modus:  accuracy {acc_eval:.3f}")
print(f"train-modus: accuracy {statistics.mean(acc_train):.3f} ± {statistics.stdev(acc_train):.3f} "
      f"(min {min(acc_train):.3f}, max {max(acc_train):.3f}, 20 herhalingen)")
print(f"running_mean veranderd door 'evalueren' in train-modus? "
      f"{not torch.equal(running_mean_before, model[1].running_mean)}")

# %%
fig, ax = plt.subplots()
ax.hist(acc_train, bins=10, color="tab:orange", alpha=0.8, label="train-modus (20 herhalingen)")
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
# ### Misvatting 4 — "Na de validatie gaat het vanzelf weer goed"
#
# Een veelvoorkomende lus: elke epoch trainen, dan `model.eval()` voor de validatie… en vergeten om aan het begin van
# de volgende epoch weer `model.train()` te roepen. Er komt geen foutmelding. We tellen per epoch hoeveel
# trainingsbatches Dropout echt in train-modus zagen.

# %%
def train_with_validation(num_epochs: int, switch_back: bool, seed: int = 0) -> dict:
    """Train with per-epoch validation; count the training batches that Dropout saw in train mode."""
    g = seed_everything(seed)
    model = mlp(8, 64, 4, dropout=0.5, batchnorm=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, generator=g, drop_last=True)
    seen = {"train": 0}
    model[3].register_forward_pre_hook(lambda m, args: seen.update(train=seen["train"] + m.training))
    history = {"dropout_active": [], "bn_updates": [], "train_loss": []}
    model.train()
    for _ in range(num_epochs):
        if switch_back:
            model.train()
        seen["train"], losses = 0, []
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history["dropout_active"].append(f"{seen['train']}/{len(loader)}")
        history["train_loss"].append(statistics.mean(losses))
        history["bn_updates"].append(model[1].num_batches_tracked.item())
        model.eval()
        with torch.no_grad():
            model(X_val)  # validation
    return history


num_epochs = 6 if HEAVY else 3
runs = {"met model.train()": train_with_validation(num_epochs, switch_back=True),
        "zonder model.train()": train_with_validation(num_epochs, switch_back=False)}
for name, h in runs.items():
    print(f"{name}")
    print(f"  batches met Dropout actief per epoch: {h['dropout_active']}")
    print(f"  num_batches_tracked na elke epoch:    {h['bn_updates']}")
    print(f"  gemiddelde trainingsloss per epoch:   {[round(v, 3) for v in h['train_loss']]}")

# %%
plot_curves({name: h["train_loss"] for name, h in runs.items()},
            title="Trainingsloss per epoch: vergeten terug te schakelen", xlabel="epoch", ylabel="cross-entropy loss")
plt.show()

# %% [markdown]
# **Conclusie:** zonder `model.train()` ziet Dropout alleen in de eerste epoch trainingsbatches in train-modus; daarna
# staat hij uit en blijft `num_batches_tracked` hangen (BatchNorm leert geen statistieken meer). Er komt geen
# foutmelding — de trainingsloss daalt zelfs sneller, omdat de ruis van Dropout weg is. Juist daarom valt de fout niet
# op: je traint stilletjes een ander model dan je denkt.

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt kleine modellen en loaders voor de tests. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
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


class Recorder(nn.Module):
    """Wraps a model and records, for every forward call, the mode and whether autograd built a graph."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.calls: list[dict] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        self.calls.append({"training": self.training, "graph": out.requires_grad})
        return out


def train_steps(model: nn.Module, loader, num_steps: int = 3, lr: float = 0.1) -> None:
    """A few SGD steps (with momentum and weight decay) in whatever mode the model is in."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    for _, (X_, y_) in zip(range(num_steps), loader):
        optimizer.zero_grad()
        loss_fn(model(X_), y_).backward()
        optimizer.step()

# %% [markdown]
# ### Oefening 1 — Een `evaluate` zonder bijwerkingen (6 punten)
#
# Schrijf `evaluate(model, loader)`. `loader` levert batches `(X, y)` (een `DataLoader` of gewoon een lijst); het
# model geeft logits met vorm `(batch_size, num_classes)`. De functie
# - geeft de **accuracy** over alle voorbeelden terug als `float` tussen 0 en 1 (de laatste batch mag kleiner zijn);
# - laat Dropout en BatchNorm zich gedragen zoals bij inferentie;
# - bouwt **geen** rekengraaf (er komt toch geen `backward()`);
# - verandert **geen** BatchNorm-buffer;
# - laat het model achter in de modus waarin het binnenkwam (train of eval);
# - gooit een `ValueError` met een duidelijke Nederlandse melding als de loader geen enkel voorbeeld levert.

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
    assert abs(evaluate(always_zero, DataLoader(TensorDataset(X_h, y_h), batch_size=16)) - 0.8) < 1e-6
    batches = [(X_h[:10], y_h[:10]), (X_h[10:], y_h[10:])]  # a plain list works as a loader
    assert abs(evaluate(always_zero, batches) - 0.8) < 1e-6
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
    recorder = Recorder(make_model(seed=12, dropout=0.3))
    loader = make_loader(seed=12)
    first, second = evaluate(recorder, loader), evaluate(recorder, loader)
    assert first == second, "twee evaluaties van hetzelfde model geven een ander antwoord"
    assert recorder.calls and not any(c["training"] for c in recorder.calls)
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
    assert 0.0 <= acc <= 1.0
    assert buffers_unchanged(model, before)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_no_graph", "grade": true, "points": 1}
"""Checks that evaluate builds no autograd graph during its forward passes."""
with quiet():
    recorder, loader = Recorder(make_model(seed=4)), make_loader(seed=4)
    evaluate(recorder, loader)
    assert recorder.calls, "evaluate riep het model niet aan."
    assert not any(c["graph"] for c in recorder.calls), (
        "De uitvoer van het model had een rekengraaf (requires_grad=True). Tip: model.eval() verandert alleen het "
        "gedrag van lagen, niet wat autograd doet.")
    ### BEGIN HIDDEN TESTS
    recorder = Recorder(make_model(seed=14, dropout=0.5, batchnorm=True))
    evaluate(recorder, make_loader(seed=14))
    assert recorder.calls and not any(c["graph"] for c in recorder.calls)
    assert all(p.requires_grad and p.grad is None for p in recorder.parameters()), "evaluate mag het model niet wijzigen"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_restores_mode", "grade": true, "points": 1}
"""Checks that evaluate leaves the model in the mode it was in before the call."""
with quiet():
    model, loader = make_model(seed=5, dropout=0.5, batchnorm=True), make_loader(seed=5)
    model.train()
    evaluate(model, loader)
    assert model.training and all(m.training for m in model.modules()), (
        "Het model stond vóór evaluate in train-modus en erna niet meer. Tip: wie na de validatie verder traint, "
        "traint anders stilletjes zonder Dropout (zie misvatting 4).")
    ### BEGIN HIDDEN TESTS
    model.eval()
    evaluate(model, loader)
    assert not model.training and not any(m.training for m in model.modules()), (
        "een model in eval-modus moet in eval-modus blijven")
    model.train()
    evaluate(model, loader)
    assert model.training
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_evaluate_rejects_empty_loader", "grade": true, "points": 1}
"""Checks that evaluate raises a ValueError when the loader yields no samples."""
with quiet():
    model = make_model(seed=6)
    try:
        evaluate(model, [])
    except ValueError as exc:
        assert str(exc).strip(), "Geef de ValueError een duidelijke melding mee."
    else:
        raise AssertionError("evaluate(model, []) gaf geen ValueError. Tip: wat is de accuracy van nul voorbeelden?")
    ### BEGIN HIDDEN TESTS
    empty = DataLoader(TensorDataset(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)), batch_size=4)
    try:
        evaluate(model, empty)
    except ValueError as exc:
        assert str(exc).strip()
    else:
        raise AssertionError("een lege DataLoader gaf geen ValueError")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 2 — BatchNorm bevriezen voor fine-tuning (4 punten)
#
# Bij fine-tuning met kleine batches wil je vaak dat BatchNorm de statistieken van het voorgetrainde model houdt.
# Schrijf `freeze_batchnorm(model)`, die het model ter plekke aanpast zodat daarna voor **alle** BatchNorm-lagen
# (`BatchNorm1d`, `BatchNorm2d`, `BatchNorm3d`, ook diep genest) geldt:
# - ze normaliseren met hun running statistieken en veranderen hun buffers niet meer, ook niet als het model traint;
# - hun parameters (`weight`, `bias`) leren niet meer, terwijl de rest van het model gewoon doortraint;
# - dat blijft zo na een latere `model.train()` (bijvoorbeeld na jouw `evaluate`, of in de trainingslus). Denk na
#   over hoe `model.train()` zijn submodules in train-modus zet (zie het begin van dit notebook).
#
# Bevat het model geen enkele BatchNorm-laag, gooi dan een `ValueError`; is `model` geen `nn.Module`, een
# `TypeError` (beide met een Nederlandse melding).

# %% nbgrader={"grade_id": "freeze_batchnorm", "solution": true}
def freeze_batchnorm(model: nn.Module) -> None:
    """Freeze every BatchNorm layer of ``model`` in place: running statistics, no learning, robust to ``train()``."""
    ### BEGIN SOLUTION
    import types

    if not isinstance(model, nn.Module):
        raise TypeError(f"model moet een torch.nn.Module zijn, niet {type(model).__name__}")
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not layers:
        raise ValueError("het model bevat geen BatchNorm-laag; er valt niets te bevriezen")

    def train_but_stay_eval(self: nn.Module, mode: bool = True) -> nn.Module:
        # Module.train() calls child.train(mode) on every child, so this per-layer override wins.
        return nn.Module.train(self, False)

    for layer in layers:
        for p in layer.parameters():
            p.requires_grad_(False)
        layer.eval()
        layer.train = types.MethodType(train_but_stay_eval, layer)
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_freeze_batchnorm_keeps_buffers", "grade": true, "points": 1}
"""Checks that after freeze_batchnorm, training no longer changes any BatchNorm buffer."""
with quiet():
    model, loader = make_model(seed=7, batchnorm=True), make_loader(seed=7)
    freeze_batchnorm(model)
    before = buffers(model)
    train_steps(model, loader)
    assert buffers_unchanged(model, before), (
        "Na freeze_batchnorm veranderen de BatchNorm-buffers nog tijdens het trainen. Tip: wat bepaalt of "
        "BatchNorm zijn running statistieken bijwerkt? requires_grad in elk geval niet.")
    ### BEGIN HIDDEN TESTS
    # Uses running statistics: a batch of one works and gives the same row as inside a batch.
    X_h, _ = next(iter(loader))
    assert torch.allclose(model(X_h[:1]), model(X_h)[:1], atol=1e-6)
    # Nested BatchNorm2d in a small conv net.
    seed_everything(17)
    conv = nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU()), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 3)).train()
    freeze_batchnorm(conv)
    before = buffers(conv)
    g = torch.Generator().manual_seed(17)
    images = [(torch.randn(8, 1, 6, 6, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(3)]
    train_steps(conv, images)
    assert buffers_unchanged(conv, before)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_fixes_parameters", "grade": true, "points": 1}
"""Checks that after freeze_batchnorm, BatchNorm's weight and bias stop learning while the other layers still learn."""
with quiet():
    model, loader = make_model(seed=8, batchnorm=True), make_loader(seed=8)
    freeze_batchnorm(model)
    bn_before = [p.detach().clone() for p in model[1].parameters()]
    linear_before = model[0].weight.detach().clone()
    train_steps(model, loader)
    assert all(torch.equal(p, b) for p, b in zip(model[1].parameters(), bn_before)), (
        "BatchNorm's weight of bias is veranderd door de optimizer. Tip: eval() verandert het gedrag van de laag, "
        "maar houdt de optimizer niet tegen.")
    assert not torch.equal(model[0].weight, linear_before), (
        "De Linear-laag leert niet meer. Alleen BatchNorm moet vast staan.")
    ### BEGIN HIDDEN TESTS
    model, loader = make_model(seed=18, dropout=0.2, batchnorm=True), make_loader(seed=18)
    freeze_batchnorm(model)
    model.train()
    bn_before = [p.detach().clone() for p in model[1].parameters()]
    others_before = parameters_vector(nn.Sequential(model[0], model[4]))
    train_steps(model, loader)
    assert all(torch.equal(p, b) for p, b in zip(model[1].parameters(), bn_before))
    assert not torch.equal(parameters_vector(nn.Sequential(model[0], model[4])), others_before)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_survives_train", "grade": true, "points": 1}
"""Checks that BatchNorm stays frozen after a later model.train() call."""
with quiet():
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
        assert not torch.equal(outer(X_h), outer(X_h)), "Dropout moet in train-modus actief blijven"
    train_steps(outer, loader)
    assert buffers_unchanged(outer, before)
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_freeze_batchnorm_rejects_bad_model", "grade": true, "points": 1}
"""Checks that freeze_batchnorm raises a ValueError for a model without BatchNorm."""
with quiet():
    try:
        freeze_batchnorm(make_model(seed=10))
    except ValueError as exc:
        assert str(exc).strip(), "Geef de ValueError een duidelijke melding mee."
    else:
        raise AssertionError("Een model zonder BatchNorm gaf geen ValueError. Tip: stil niets doen verbergt een fout "
                             "van de gebruiker.")
    ### BEGIN HIDDEN TESTS
    try:
        freeze_batchnorm("resnet18")
    except TypeError as exc:
        assert str(exc).strip()
    else:
        raise AssertionError("een string in plaats van een model gaf geen TypeError")
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
# a. `running_mean` na deze ene forward. Zet het antwoord als lijst van twee `float`s in `running_mean_after`.
#
# b. `running_var` na deze ene forward. Zet het als lijst van twee `float`s in `running_var_after`.

# %% nbgrader={"grade_id": "quantitative_answers", "solution": true}
### BEGIN SOLUTION
running_mean_after = [0.9 * 0.0 + 0.1 * 3.0, 0.9 * 0.0 + 0.1 * 6.0]  # batch mean (3, 6)
running_var_after = [0.9 * 1.0 + 0.1 * 4.0, 0.9 * 1.0 + 0.1 * 16.0]  # unbiased batch variance (4, 16)
### END SOLUTION

# %% nbgrader={"grade_id": "test_running_mean_value", "grade": true, "points": 1}
"""Checks running_mean after one train-mode forward of X_small through a fresh BatchNorm1d(2)."""
with quiet():
    assert isinstance(running_mean_after, (list, tuple)) and len(running_mean_after) == 2, (
        "running_mean_after moet een lijst met twee getallen zijn.")
    assert all(isinstance(v, (int, float)) for v in running_mean_after), "Gebruik gewone Python-getallen."
    ### BEGIN HIDDEN TESTS
    assert all(abs(a - b) < 1e-4 for a, b in zip(running_mean_after, [0.3, 0.6]))
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_running_var_value", "grade": true, "points": 1}
"""Checks running_var after one train-mode forward of X_small through a fresh BatchNorm1d(2)."""
with quiet():
    assert isinstance(running_var_after, (list, tuple)) and len(running_var_after) == 2, (
        "running_var_after moet een lijst met twee getallen zijn.")
    assert all(isinstance(v, (int, float)) and v > 0 for v in running_var_after), (
        "Een variantie is een positief getal.")
    ### BEGIN HIDDEN TESTS
    assert all(abs(a - b) < 1e-4 for a, b in zip(running_var_after, [1.3, 2.5]))
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
#    rest van de batch (en een batch van 1 geeft een fout), in eval-modus is hij deterministisch.
# 4. *Wat eval() niet doet:* het zet autograd niet uit — daarvoor `torch.no_grad()`/`torch.inference_mode()` — en
#    het zet zichzelf niet terug: na validatie moet je weer `model.train()` roepen.
#
# Puntentoekenning: 1 punt voor 1, 1 punt voor 2 + 3 (beide effecten correct, met de schaal of de running
# statistieken), 1 punt voor 4.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - `model.train()`/`model.eval()` zetten alleen `.training`, recursief; lagen (ook jouw eigen) lezen die vlag.
# - Dropout: in train-modus fractie `p` op nul en de rest × `1/(1−p)`; in eval-modus de identiteit.
# - BatchNorm: in train-modus batch-statistieken + buffers bijwerken (momentum 0.1, zuivere variantie); in eval-modus
#   running statistieken en niets bijwerken. Een batch van 1 kan alleen in eval-modus.
# - `eval()` zet autograd niet uit: evalueer met `eval()` **én** `torch.no_grad()`/`torch.inference_mode()`, en zet
#   daarna de oude modus terug.
# - Bevriezen voor fine-tuning: `requires_grad=False` stopt het leren van `weight`/`bias`, niet het bijwerken van de
#   buffers; daarvoor moet de laag in eval-modus blijven, ook na een latere `model.train()`.

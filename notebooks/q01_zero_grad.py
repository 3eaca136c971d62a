# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 1 — De volgorde van `zero_grad`, `backward` en `step`
#
# > **Oefenvraag.** Lees en leg uit wat er fout is en waarom:
# > ```python
# > for images, labels in train_loader:
# >     outputs = model(images)
# >     loss = criterion(outputs, labels)
# >     loss.backward()
# >     optimizer.zero_grad()
# >     optimizer.step()
# > ```
#
# **Leerdoelen.** Na dit notebook kun je
# 1. met code laten zien wat er in `.grad` staat vóór en na `backward()`, `zero_grad()` en `step()`;
# 2. uitleggen waarom de lus hierboven in PyTorch 2.x **helemaal niet leert** (en niet "gradients opstapelt");
# 3. een correcte trainingsstap schrijven die niet afhangt van wat er al in `.grad` stond;
# 4. bewust gradients accumuleren over `k` micro-batches zodat je precies de gradient van de hele batch krijgt.
#
# **Tijd:** reken op 60 à 75 minuten: ongeveer 30 minuten om de tekst (zo'n 1900 woorden) en de democode (zo'n 200
# regels) te lezen en te draaien, en 35 minuten voor de drie oefeningen (9 punten) en het schriftelijke antwoord
# (3 punten). Alles draait op de CPU, zonder downloads; het hele notebook draait in minder dan een minuut.
#
# In de code gebruiken we vaste namen: `model`, `optimizer`, `loss_fn` (de oorspronkelijke vraag noemt dit
# `criterion`), `loader`, `X`/`y`, `lr` en `num_epochs`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.

# %% nbgrader={"grade_id": "setup", "locked": true}
import copy
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlinfra import HEAVY, seed_everything
from mlinfra.data import make_blobs
from mlinfra.grading import quiet
from mlinfra.models import grads_vector, mlp, parameters_vector
from mlinfra.plots import set_style

set_style()
if not HEAVY:  # while grading, figures are built but not rendered: that saves seconds per student
    plt.switch_backend("agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")

X, y = make_blobs(n=512, num_features=2, num_classes=3, spread=2.5, seed=0)  # overlapping classes
print(f"X: {tuple(X.shape)} {X.dtype}, y: {tuple(y.shape)} {y.dtype}, klassen: {y.unique().tolist()}")
print(f"HEAVY = {HEAVY}")

# %% [markdown]
# ## Demo 1 — Wat staat er in `.grad`?
#
# We volgen één gewicht door de drie aanroepen van de lus uit de oorspronkelijke vraag: `backward()`, dan
# `zero_grad()`, dan `step()`. Sinds PyTorch 2.0 zet `optimizer.zero_grad()` de gradients standaard op `None`
# (`set_to_none=True`) in plaats van op nul.

# %%
seed_everything(0)
model = mlp(2, 16, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
weight = model[0].weight  # the first layer's weight matrix, shape (16, 2)


def describe_grad(p: torch.Tensor) -> str:
    return "None" if p.grad is None else f"norm {p.grad.norm():.4f}"


before = weight.detach().clone()
loss = loss_fn(model(X[:64]), y[:64])
print(f"{'na forward':<22} .grad = {describe_grad(weight)}")
loss.backward()
print(f"{'na backward()':<22} .grad = {describe_grad(weight)}")
optimizer.zero_grad()
print(f"{'na zero_grad()':<22} .grad = {describe_grad(weight)}")
optimizer.step()
print(f"{'na step()':<22} .grad = {describe_grad(weight)}")
print(f"\nGewicht veranderd door step()? {not torch.equal(before, weight.detach())} "
      f"(max. verschil {(weight.detach() - before).abs().max():.2e})")

# %% [markdown]
# **Conclusie:** `backward()` vult `.grad`, `zero_grad()` gooit het weg (`None`) en `step()` slaat elke parameter
# zonder gradient over — het gewicht verandert niet (max. verschil 0.00e+00).

# %% [markdown]
# ## Demo 2 — Vier trainingslussen naast elkaar
#
# Dezelfde data, hetzelfde startpunt, dezelfde `lr`; alleen de volgorde van de aanroepen verschilt.
# Per stap meten we de loss, of de gewichten veranderd zijn, de norm van alle gewichten `‖w‖` en de norm van de
# gradient die `step()` te zien krijgt.
#
# | lus | volgorde |
# |---|---|
# | correct | `zero_grad` → forward → `backward` → `step` |
# | oorspronkelijke lus | forward → `backward` → `zero_grad` → `step` |
# | nooit `zero_grad` | forward → `backward` → `step` |
# | oorspronkelijke lus, `set_to_none=False` + weight decay | forward → `backward` → `zero_grad(set_to_none=False)` → `step` |

# %%
def run_loop(order: str, num_epochs: int, lr: float = 0.1, weight_decay: float = 0.0, seed: int = 0) -> dict:
    """Train a fresh model with one of the four call orders; record loss, updates, weight and gradient norms."""
    g = seed_everything(seed)
    model = mlp(2, 16, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, generator=g)
    history = {"loss": [], "updated": [], "norm": [], "grad_norm": [], "w_start": parameters_vector(model)}
    for _ in range(num_epochs):
        for xb, yb in loader:
            before = parameters_vector(model)
            if order == "correct":
                optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            if order == "original":
                optimizer.zero_grad()
            elif order == "original_zeros":
                optimizer.zero_grad(set_to_none=False)
            grads = grads_vector(model)
            history["grad_norm"].append(0.0 if grads is None else grads.norm().item())
            optimizer.step()
            after = parameters_vector(model)
            history["loss"].append(loss.item())
            history["updated"].append(not torch.equal(before, after))
            history["norm"].append(after.norm().item())
    history["w_end"] = parameters_vector(model)
    return history


num_epochs = 8 if HEAVY else 2
lr, weight_decay = 0.1, 0.05
runs = {
    "correct": run_loop("correct", num_epochs, lr),
    "oorspronkelijke lus": run_loop("original", num_epochs, lr),
    "nooit zero_grad": run_loop("never", num_epochs, lr),
    "oorspr., set_to_none=False, wd=0.05": run_loop("original_zeros", num_epochs, lr, weight_decay=weight_decay),
}
print(f"{'lus':<37}{'loss start':>11}{'loss eind':>11}{'updates':>10}{'‖w‖ start':>11}{'‖w‖ eind':>10}")
for name, h in runs.items():
    print(f"{name:<37}{h['loss'][0]:>11.3f}{h['loss'][-1]:>11.3f}"
          f"{sum(h['updated']):>6}/{len(h['updated']):<3}{h['w_start'].norm():>11.3f}{h['norm'][-1]:>10.3f}")

never, correct = runs["nooit zero_grad"], runs["correct"]
print("\n'nooit zero_grad': ‖.grad‖ die step() ziet, naast die van de correcte lus")
print(f"{'stap':>6}{'nooit zero_grad':>17}{'correct':>10}{'loss nooit':>12}{'loss correct':>14}")
for i in (0, 3, 7, 15, 31, 63):
    if i < len(never["loss"]):
        print(f"{i + 1:>6}{never['grad_norm'][i]:>17.3f}{correct['grad_norm'][i]:>10.3f}"
              f"{never['loss'][i]:>12.3f}{correct['loss'][i]:>14.3f}")

# %%
styles = {"correct": dict(color="tab:green", linestyle="-", linewidth=2),
          "oorspronkelijke lus": dict(color="tab:blue", linestyle="-", linewidth=5, alpha=0.5),
          "nooit zero_grad": dict(color="tab:red", linestyle=":", linewidth=2),
          "oorspr., set_to_none=False, wd=0.05": dict(color="black", linestyle="--", linewidth=1.5,
                                                     marker="o", markevery=8, markersize=4)}
fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(12, 4))
for name, h in runs.items():
    ax_loss.plot(range(1, len(h["loss"]) + 1), h["loss"], label=name, **styles[name])
    ax_norm.plot(range(1, len(h["norm"]) + 1), h["norm"], label=name, **styles[name])
ax_loss.set_yscale("log")
ax_loss.set(title="Loss per stap", xlabel="optimizer-stap", ylabel="cross-entropy loss (log-schaal)")
ax_norm.set(title="Norm van alle gewichten ‖w‖", xlabel="optimizer-stap", ylabel="‖w‖")
ax_norm.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Conclusie:** alleen de correcte lus leert gestaag. De oorspronkelijke lus doet nul updates: loss en `‖w‖` blijven
# vlak (de dikke blauwe lijn). Met `set_to_none=False` en weight decay (zwart, gestreept) verandert de loss wél een
# beetje, maar alleen omdat de gewichten krimpen (rechts): er wordt niets van de data geleerd.
#
# **Waarom "nooit `zero_grad`" eerst wint en dan ontspoort.** Zonder `zero_grad()` bevat `.grad` bij stap `n` de
# **som** van alle `n` gradients tot nu toe. Dat is SGD met *momentum* 1, zonder demping: in het begin wijzen de
# gradients ongeveer dezelfde kant op, dus de som is een grotere stap in een goede richting (in de tabel is `‖.grad‖`
# bij stap 4 al 4.447 tegen 1.089) en bij stap 8 is de loss lager dan bij de correcte lus (0.276 tegen 0.400). Maar de
# som vergeet niets: ook als het minimum gepasseerd is, duwt de opgestapelde gradient verder. De gewichten schieten
# door (`‖w‖` groeit van 3.0 naar 26.8, rechts) en de loss springt omhoog (2.001 bij stap 32).

# %% [markdown]
# ## Hoe weight decay werkt in `torch.optim.SGD`
#
# Met `weight_decay=λ` telt SGD vóór de stap `λ·w` op bij de gradient: `g ← g + λ·w`, en daarna `w ← w − lr·g`.
# Staat er in `.grad` een nul-gradient (de oorspronkelijke lus met `set_to_none=False`), dan blijft over
# `w ← w − lr·λ·w = (1 − lr·λ)·w`: elke stap vermenigvuldigt elk gewicht met dezelfde factor. Na `n` stappen is dat
# `(1 − lr·λ)ⁿ`. (Met `set_to_none=True` slaat `step()` de parameter helemaal over, dus ook de weight decay.)
# We controleren dat dit een zuivere factor is, gewicht voor gewicht, voor de zwarte lus uit demo 2.

# %%
h = runs["oorspr., set_to_none=False, wd=0.05"]
num_steps = len(h["loss"])
factor = (1 - lr * weight_decay) ** num_steps
measured = h["w_end"] / h["w_start"]
print(f"stappen n = {num_steps}, lr = {lr}, λ = {weight_decay}: (1 − lr·λ)^n = {1 - lr * weight_decay}^{num_steps} "
      f"= {factor:.6f}")
print(f"‖w‖ eind / ‖w‖ start                 = {h['norm'][-1] / h['w_start'].norm().item():.6f}")
print(f"w_eind / w_start, per gewicht: min {measured.min():.6f}, max {measured.max():.6f}")
print(f"max |w_eind − factor · w_start|       = {(h['w_end'] - factor * h['w_start']).abs().max():.1e}")

# %% [markdown]
# **Conclusie:** elk gewicht is met dezelfde factor vermenigvuldigd (min en max van de verhouding hierboven zijn
# gelijk aan `(1 − lr·λ)ⁿ` op afrondingsruis na): de gewichten krimpen, de richting verandert niet.

# %% [markdown]
# ## Veelgemaakte misvatting
#
# > *Het antwoordmodel:* "Fout in loop: `optimizer.zero_grad()` moet vóór `loss.backward()`; huidige volgorde leidt
# > tot accumulatie van eerdere gradients."
#
# Punt voor punt:
# 1. *"`zero_grad()` moet vóór `loss.backward()`"* — **klopt** (of na `step()`, zie de oefeningen): demo 2, de
#    correcte lus.
# 2. *"huidige volgorde leidt tot accumulatie van eerdere gradients"* — **fout**. In deze lus wordt de gradient
#    gewist **vlak voordat** `step()` hem nodig heeft; er blijft niets over om op te stapelen. Accumulatie krijg je
#    juist als je `zero_grad()` **nooit** aanroept (de derde lus in demo 2). Het bewijs staat hieronder: we tellen
#    wat `step()` te zien krijgt.
# 3. *Wat ontbreekt:* het gevolg. De lus leert in PyTorch 2.x **helemaal niets** (demo 1 en 2); met
#    `set_to_none=False` en weight decay krimpen de gewichten alleen.

# %%
seed_everything(0)
model = mlp(2, 16, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
grads_seen_by_step = []
optimizer.register_step_pre_hook(lambda opt, args, kwargs: grads_seen_by_step.append(grads_vector(model)))
for xb, yb in DataLoader(TensorDataset(X, y), batch_size=64):
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
n_none = sum(g is None for g in grads_seen_by_step)
print(f"step() aangeroepen: {len(grads_seen_by_step)}×, waarvan met .grad = None: {n_none}×")

# %% [markdown]
# **Conclusie:** bij elke `step()` (8 van de 8) is `.grad` `None`; er valt niets te accumuleren en er wordt niets
# geleerd. In PyTorch < 2.0 (toen `set_to_none=False` de standaard was) stond er een nul-gradient: hetzelfde
# resultaat, behalve met weight decay, waar de gewichten alleen krimpen.

# %% [markdown]
# ## Demo 3 — Bewust accumuleren: `k` micro-batches = één grote batch
#
# Soms past een batch van 64 niet in het geheugen en wil je toch met de gradient van 64 voorbeelden stappen. Dan
# splits je de batch in `k` micro-batches, roep je per micro-batch `backward()` aan op `loss / k`, en roep je pas na
# de `k`-de micro-batch `step()` en `zero_grad()` aan. Omdat `CrossEntropyLoss` standaard het **gemiddelde** neemt,
# is het gemiddelde van `k` even grote micro-batch-losses precies de loss van de grote batch.

# %%
seed_everything(0)
model = mlp(2, 16, 3)
loss_fn = nn.CrossEntropyLoss()
xb, yb = X[:64], y[:64]

model.zero_grad()
loss_fn(model(xb), yb).backward()
full = grads_vector(model)

rows = []
for k in (1, 2, 4, 8, 16):
    model.zero_grad()
    for x_micro, y_micro in zip(xb.chunk(k), yb.chunk(k)):
        (loss_fn(model(x_micro), y_micro) / k).backward()
    divided = grads_vector(model)
    model.zero_grad()
    for x_micro, y_micro in zip(xb.chunk(k), yb.chunk(k)):
        loss_fn(model(x_micro), y_micro).backward()
    undivided = grads_vector(model)
    rows.append((k, (divided - full).abs().max().item(), (undivided.norm() / full.norm()).item()))

print(f"{'k':>3}{'max |g_acc - g_vol|':>22}{'‖g zonder /k‖ / ‖g_vol‖':>26}")
for k, diff, ratio in rows:
    print(f"{k:>3}{diff:>22.1e}{ratio:>26.2f}")
print(f"\ngrootste verschil met / k over alle k: {max(r[1] for r in rows):.1e}")

# %%
fig, ax = plt.subplots()
ks = [r[0] for r in rows]
ax.plot(ks, [r[2] for r in rows], "o-", label="zonder / k (gemeten)")
ax.plot(ks, ks, ":", color="gray", label="lijn y = k")
ax.plot(ks, [1.0] * len(ks), "s--", label="met / k (= volle batch)")
ax.set_xticks(ks)
ax.set_xlabel("aantal micro-batches k")
ax.set_ylabel("‖geaccumuleerde gradient‖ / ‖gradient volle batch‖")
ax.set_title("Accumuleren zonder te delen door k: k keer zo grote gradient")
ax.legend()
plt.show()

# %% [markdown]
# **Conclusie:** met `loss / k` is de geaccumuleerde gradient gelijk aan die van de volle batch (grootste verschil
# 2.4e-07 in de tabel: afrondingsruis van `float32`); zonder delen is hij precies `k` keer zo groot (de punten liggen
# op de lijn `y = k`) — alsof je `lr` met `k` vermenigvuldigt.
#
# Let op: dit is exact voor een loss die het gemiddelde neemt en even grote micro-batches. Met `BatchNorm` in het model
# is het niet exact, want BatchNorm normaliseert per micro-batch.

# %% [markdown]
# ### Ongelijke micro-batches: weeg naar het aantal voorbeelden
#
# Is de laatste micro-batch kleiner (bijvoorbeeld 40 + 16 + 8 voorbeelden), dan is "gemiddelde per micro-batch,
# gedeeld door `k`" niet meer het gemiddelde over alle 64: elk voorbeeld in de kleine micro-batch telt dan zwaarder.
# Exact wordt het weer als je per micro-batch de **som** van de losses neemt en deelt door het **totale** aantal
# voorbeelden (of, wat hetzelfde is, het micro-batch-gemiddelde weegt met `n_micro / n_totaal`).

# %%
sizes = [40, 16, 8]
parts = list(zip(xb.split(sizes), yb.split(sizes)))
sum_loss_fn = nn.CrossEntropyLoss(reduction="sum")
results = {}
for name in ("gemiddelde / k", "som / n_totaal"):
    model.zero_grad()
    for x_micro, y_micro in parts:
        if name == "gemiddelde / k":
            loss = loss_fn(model(x_micro), y_micro) / len(parts)
        else:
            loss = sum_loss_fn(model(x_micro), y_micro) / len(xb)
        loss.backward()
    results[name] = (grads_vector(model) - full).abs().max().item()
for name, diff in results.items():
    print(f"micro-batches {sizes}, {name:<15}: max |g_acc − g_vol| = {diff:.1e}")

# %% [markdown]
# **Conclusie:** met ongelijke micro-batches wijkt "gemiddelde / k" duidelijk af van de volle batch (zie het eerste
# getal); "som / n_totaal" is weer gelijk op afrondingsruis na.

# %% [markdown]
# ### Waar horen gradient clipping en `GradScaler` thuis?
#
# Alles wat de **hele** gradient bewerkt, hoort tussen de laatste `backward()` en `step()`:
# `clip_grad_norm_` knipt de norm van de volledige (geaccumuleerde) gradient; wie na elke micro-batch knipt, knipt
# halve sommen. Met mixed precision vermenigvuldigt `GradScaler` de loss met een grote factor (standaard 65536) zodat
# kleine gradients niet wegvallen; vóór het knippen moet je dus eerst `scaler.unscale_(optimizer)` aanroepen, anders
# knip je de geschaalde gradient. De volgorde per optimizer-stap:
#
# ```python
# scaler.scale(loss / k).backward()          # k keer, per micro-batch
# scaler.unscale_(optimizer)                 # gradients terug op ware grootte
# torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
# scaler.step(optimizer)                     # slaat de stap over bij inf/NaN
# scaler.update()
# optimizer.zero_grad()
# ```
#
# Hieronder zie je wat `clip_grad_norm_` te zien krijgt (hij geeft de norm vóór het knippen terug), met en zonder
# `unscale_`.

# %%
seed_everything(0)
model = mlp(2, 16, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cpu")
optimizer.zero_grad()
for x_micro, y_micro in zip(xb.chunk(4), yb.chunk(4)):
    scaler.scale(loss_fn(model(x_micro), y_micro) / 4).backward()
norm_scaled = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=float("inf")).item()
scaler.unscale_(optimizer)
norm_true = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item()
scaler.step(optimizer)
scaler.update()
optimizer.zero_grad()
print(f"schaal van GradScaler:                  {scaler.get_scale():.0f}")
print(f"norm die clip ziet zonder unscale_():   {norm_scaled:.1f}")
print(f"norm die clip ziet na unscale_():       {norm_true:.4f}  (gradient van de volle batch: {full.norm():.4f})")

# %% [markdown]
# **Conclusie:** zonder `unscale_()` ziet `clip_grad_norm_` een norm die 65536 keer te groot is en knipt hij vrijwel
# alles weg; na `unscale_()` is het de norm van de gradient van de volle batch.

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt kleine modellen en batches voor de tests. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
from mlinfra.grading import assert_dutch


def make_case(seed: int, n: int = 32, lr: float = 0.1, opt: str = "sgd"):
    """A fresh (model, optimizer, loss_fn, batch) for one test, seeded."""
    seed_everything(seed)
    model = mlp(4, 8, 3)
    params = model.parameters()
    optimizer = torch.optim.SGD(params, lr=lr) if opt == "sgd" else torch.optim.Adam(params, lr=lr)
    return model, optimizer, nn.CrossEntropyLoss(), make_batch(seed, n)


def make_batch(seed: int, n: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded batch (X float32 of shape (n, 4), y int64 in {0, 1, 2})."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def fresh_gradient(model: nn.Module, loss_fn, batch) -> list[torch.Tensor]:
    """The gradient of loss_fn on batch, computed on a copy so the model itself is untouched."""
    twin = copy.deepcopy(model)
    X_, y_ = batch
    return [g.detach() for g in torch.autograd.grad(loss_fn(twin(X_), y_), list(twin.parameters()))]


def count_steps(optimizer) -> list[int]:
    """Return a one-element list that counts the optimizer's step() calls from now on."""
    counter = [0]
    optimizer.register_step_post_hook(lambda opt, args, kwargs: counter.__setitem__(0, counter[0] + 1))
    return counter


def gradient_check(model: nn.Module, loss_fn, batch) -> None:
    """What other code may do between two training steps: a backward() that leaves its gradients in .grad."""
    X_, y_ = batch
    loss_fn(model(X_), y_).backward()


def grads_at_step(model: nn.Module, optimizer) -> list:
    """Return a list that collects grads_vector(model) each time optimizer.step() starts, from now on."""
    seen = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(grads_vector(model)))
    return seen


def record_passes(model: nn.Module) -> list[tuple[str, int]]:
    """Return a list that records ("forward", n) for each forward pass of model that builds a graph, and
    ("backward", n) when the gradient flows back through that pass (n: the number of examples)."""
    events = []

    def on_forward(module, args, output):
        if output.requires_grad:
            events.append(("forward", len(output)))
            output.register_hook(lambda grad: events.append(("backward", len(grad))))

    model.register_forward_hook(on_forward)
    return events


def outside_state(model: nn.Module, optimizer) -> dict:
    """What a training function must leave alone (the tests hand in models in train mode): train mode, the optimizer's
    settings, torch's random state."""
    return {"mode": model.training,
            "settings": [{key: v for key, v in group.items() if key != "params"} for group in optimizer.param_groups],
            "rng": torch.get_rng_state()}


def assert_outside_state_unchanged(before: dict, after: dict, function: str) -> None:
    """Assert that function left train mode, the optimizer's settings and the random state as they were."""
    assert after["mode"] or not before["mode"], (
        f"Na {function} staat het model in eval-modus, ervoor in train-modus. Tip: wie model.eval() aanroept, zet het "
        "model daarna terug; anders traint de rest van de lus zonder Dropout en met bevroren BatchNorm.")
    assert after["settings"] == before["settings"], (
        f"{function} heeft de instellingen van de optimizer veranderd (zoals lr). Tip: laat de optimizer-instellingen "
        "met rust; alles wat je wilt bijsturen hoort in de loss of in .grad.")
    assert torch.equal(after["rng"], before["rng"]), (
        f"{function} heeft de random-generator van torch veranderd (bijvoorbeeld met torch.manual_seed). Tip: een "
        "trainingsstap heeft geen toeval nodig; laat de random-toestand van de aanroeper met rust.")

# %% [markdown]
# ### Vóór oefening 1: waar zet je `zero_grad()`?
#
# Twee volgordes werken allebei in een gewone trainingslus:
# - `zero_grad()` → forward → `backward()` → `step()` (wissen **vóór** `backward()`);
# - forward → `backward()` → `step()` → `zero_grad()` (wissen **na** `step()`), zoals de PyTorch-Quickstart-tutorial
#   het schrijft.
#
# De tweede is prima in een lus die **schoon begint** en waarin niemand anders `.grad` aanraakt: na elke stap wordt
# gewist, dus de volgende `backward()` begint bij `None`. Maar hij neemt aan dat `.grad` leeg is als de stap begint.
# Is dat niet zo — iemand anders heeft vóór de aanroep `backward()` gedaan, bijvoorbeeld een gradient-check, een
# gradient-penalty of een eerste stap die halverwege afbrak — dan telt `backward()` op bij die oude gradients en
# stapt `step()` met de som. Een **functie** als `train_step` weet niet wie hem aanroept; daarom vragen we hieronder
# dat hij niet afhangt van wat er al in `.grad` stond.

# %%
seed_everything(0)
model = mlp(2, 16, 3)
loss_fn = nn.CrossEntropyLoss()
gradient_check(model, loss_fn, (X[64:128], y[64:128]))  # someone else's backward(), left in .grad
leftover = grads_vector(model)
model(X[:64])  # a forward pass changes nothing in .grad
loss_fn(model(X[:64]), y[:64]).backward()  # "wipe after step()": nothing is wiped before this backward()
model_clean = copy.deepcopy(model)
model_clean.zero_grad()
loss_fn(model_clean(X[:64]), y[:64]).backward()
print(f"‖.grad‖ als het schoon begint:         {grads_vector(model_clean).norm():.4f}")
print(f"‖.grad‖ met een achtergebleven check:  {grads_vector(model).norm():.4f}  "
      f"(= som; verschil met de schone gradient: {(grads_vector(model) - grads_vector(model_clean)).norm():.4f}, "
      f"‖achtergebleven‖ = {leftover.norm():.4f})")

# %% [markdown]
# **Conclusie:** zonder wissen vóór `backward()` bevat `.grad` de som van de achtergebleven gradient en die van deze
# batch (het verschil met de schone gradient is precies de norm van wat achterbleef).

# %% [markdown]
# ### Oefening 1 — Een correcte trainingsstap (4 punten)
#
# Schrijf `train_step(model, batch, optimizer, loss_fn)`. De functie
# - doet precies **één** update van de gewichten met de gradient van **deze** batch (`batch` is een tuple `(X, y)`);
# - mag **niet** afhangen van wat er vóór de aanroep al in `.grad` stond (een eerdere aanroep, of iets anders), ook
#   niet bij de tweede, derde, … aanroep op hetzelfde model;
# - geeft de loss van de batch (vóór de update) terug als gewone Python-`float`;
# - verandert verder niets: een model in train-modus staat na afloop nog in train-modus (`model.train()` aanroepen
#   mag, het model in eval-modus achterlaten niet), de instellingen van de optimizer (zoals `lr`) blijven gelijk, en
#   de random-generator laat je met rust (geen `torch.manual_seed`).

# %% nbgrader={"grade_id": "train_step", "solution": true}
def train_step(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor],
               optimizer: torch.optim.Optimizer, loss_fn) -> float:
    """One optimisation step on ``batch``; returns the batch loss before the update as a float."""
    ### BEGIN SOLUTION
    X_batch, y_batch = batch
    optimizer.zero_grad()
    loss = loss_fn(model(X_batch), y_batch)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_train_step_updates_weights", "grade": true, "points": 1}
"""Checks that one call of train_step changes the model's weights."""
with quiet():
    model, optimizer, loss_fn, batch = make_case(seed=1)
    before = parameters_vector(model)
    train_step(model, batch, optimizer, loss_fn)
    assert not torch.equal(before, parameters_vector(model)), (
        "De gewichten zijn niet veranderd. Tip: kijk wat er in .grad staat op het moment dat optimizer.step() loopt.")
    ### BEGIN HIDDEN TESTS
    model, optimizer, loss_fn, batch = make_case(seed=11, opt="adam", lr=0.01)
    before = parameters_vector(model)
    train_step(model, batch, optimizer, loss_fn)
    assert not torch.equal(before, parameters_vector(model)), (
        "Met Adam als optimizer veranderen de gewichten niet. Tip: gebruik de optimizer die je meekrijgt.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_train_step_uses_fresh_gradient", "grade": true, "points": 1}
"""Checks that train_step steps with this batch's gradient only, whatever .grad held before the call."""
QUICKSTART_HINT = (
    "Tip: backward() telt op bij wat er al in .grad staat. Wissen na step() (zoals de Quickstart) is goed in een lus "
    "die schoon begint, maar deze functie moet ook kloppen als iemand anders vóór de aanroep backward() deed "
    "(bijvoorbeeld een gradient-check); zie 'Vóór oefening 1'.")
with quiet():
    model, optimizer, loss_fn, batch = make_case(seed=2, lr=0.1)
    for p in model.parameters():  # leftovers from an earlier step
        p.grad = torch.full_like(p, 5.0)
    expected = [p.detach() - 0.1 * g for p, g in zip(model.parameters(), fresh_gradient(model, loss_fn, batch))]
    train_step(model, batch, optimizer, loss_fn)
    for p, e in zip(model.parameters(), expected):
        assert torch.allclose(p.detach(), e, atol=1e-6), (
            "De update is niet -lr × de gradient van deze batch: er stonden al gradients in .grad. " + QUICKSTART_HINT)
    ### BEGIN HIDDEN TESTS
    # Two calls in a row: the second step must use only the second batch's gradient.
    model, optimizer, loss_fn, batch = make_case(seed=12, lr=0.05)
    batch2 = make_batch(13)
    train_step(model, batch, optimizer, loss_fn)
    expected = [p.detach() - 0.05 * g for p, g in zip(model.parameters(), fresh_gradient(model, loss_fn, batch2))]
    train_step(model, batch2, optimizer, loss_fn)
    for p, e in zip(model.parameters(), expected):
        assert torch.allclose(p.detach(), e, atol=1e-6), (
            "Bij de tweede aanroep is de update niet -lr × de gradient van de tweede batch. Tip: wat blijft er van de "
            "eerste aanroep achter in .grad?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_train_step_matches_reference_loop", "grade": true, "points": 1}
"""Checks five train_step calls in a row on one model against a reference loop, with gradient checks in between,
and that train_step leaves the model's mode, the optimizer's settings and the random state alone."""
with quiet():
    model, optimizer, loss_fn, _ = make_case(seed=21, lr=0.05)
    twin = copy.deepcopy(model)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.05)
    for call in range(1, 6):
        batch = make_batch(100 + call)
        if call in (2, 4):  # someone else's backward() between two steps, e.g. a gradient check
            gradient_check(model, loss_fn, make_batch(200 + call))
        train_step(model, batch, optimizer, loss_fn)
        for p, g in zip(twin.parameters(), fresh_gradient(twin, loss_fn, batch)):
            p.grad = g
        twin_optimizer.step()
        assert torch.allclose(parameters_vector(model), parameters_vector(twin), atol=1e-6), (
            f"Bij aanroep {call} van 5 op hetzelfde model wijken de gewichten af van een correcte lus. Hangt jouw "
            "functie af van hoe vaak hij al is aangeroepen? " + QUICKSTART_HINT)
    ### BEGIN HIDDEN TESTS
    # The same with a stateful optimizer (Adam) and checks before calls 1, 3 and 6 of six.
    model, optimizer, loss_fn, _ = make_case(seed=22, opt="adam", lr=0.01)
    twin = copy.deepcopy(model)
    twin_optimizer = torch.optim.Adam(twin.parameters(), lr=0.01)
    state_before = outside_state(model, optimizer)
    for call in range(1, 7):
        batch = make_batch(300 + call, n=16)
        if call in (1, 3, 6):
            gradient_check(model, loss_fn, make_batch(400 + call))
        train_step(model, batch, optimizer, loss_fn)
        for p, g in zip(twin.parameters(), fresh_gradient(twin, loss_fn, batch)):
            p.grad = g
        twin_optimizer.step()
        assert torch.allclose(parameters_vector(model), parameters_vector(twin), atol=1e-5), (
            f"Met Adam wijken de gewichten bij aanroep {call} van 6 af van een correcte lus. " + QUICKSTART_HINT)
    assert_outside_state_unchanged(state_before, outside_state(model, optimizer), "train_step")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_train_step_returns_float_loss", "grade": true, "points": 1}
"""Checks that train_step returns the batch loss before the update as a Python float."""
with quiet():
    model, optimizer, loss_fn, batch = make_case(seed=3)
    result = train_step(model, batch, optimizer, loss_fn)
    assert isinstance(result, float), (
        f"train_step gaf een {type(result).__name__} terug, verwacht een float. Tip: een tensor met één getal "
        "kun je omzetten; zo houd je ook de rekengraaf niet vast.")
    ### BEGIN HIDDEN TESTS
    model, optimizer, loss_fn, batch = make_case(seed=14)
    expected = loss_fn(model(batch[0]), batch[1]).item()  # the graph is dropped; .grad stays untouched
    result = train_step(model, batch, optimizer, loss_fn)
    assert abs(result - expected) < 1e-6, (
        f"train_step gaf loss {result:.6f}, verwacht {expected:.6f}: de loss van de batch vóór de update.")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 2 — Gradients accumuleren (3 punten)
#
# Schrijf `train_with_accumulation(model, batches, optimizer, loss_fn, k)`.
# - `batches` is een lijst (of een andere iterable, bijvoorbeeld een generator) van micro-batches `(X, y)`, allemaal
#   even groot.
# - Na elke `k` micro-batches doe je **één** optimizer-stap. Op dat moment staat in `.grad` precies de gradient die
#   je zou krijgen als je die `k` micro-batches samen als één batch had genomen (dus niet `k` keer zo groot met een
#   kleinere `lr`). Gradients die vóór de aanroep in `.grad` stonden tellen niet mee.
# - Accumuleer echt: elke micro-batch gaat apart door het model en je roept `backward()` voor die micro-batch aan
#   voordat je aan de volgende begint. Zo staat er nooit meer dan één micro-batch tegelijk in het geheugen; daar is
#   accumuleren voor.
# - Geef een lijst terug met per optimizer-stap de gemiddelde loss van de `k` micro-batches (als `float`).
# - Is `k` geen positief geheel getal van het type `int` (een `float` zoals `2.0` of een `bool` zoals `True` telt
#   niet), of is het aantal micro-batches geen veelvoud van `k` (ook niet als `k` groter is dan dat aantal), gooi dan
#   een `ValueError` met een duidelijke Nederlandse melding. Controleer dat **voordat** je traint: bij ongeldige
#   invoer verandert het model niet.
# - Net als bij oefening 1 verander je verder niets: een model in train-modus blijft in train-modus, en de
#   instellingen van de optimizer en de random-generator blijven zoals ze waren.

# %% nbgrader={"grade_id": "train_with_accumulation", "solution": true}
def train_with_accumulation(model: nn.Module, batches, optimizer: torch.optim.Optimizer, loss_fn,
                            k: int) -> list[float]:
    """Accumulate gradients over ``k`` micro-batches per optimizer step; return the mean loss per step."""
    ### BEGIN SOLUTION
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k moet een positief geheel getal zijn, niet {k!r}")
    batches = list(batches)
    if len(batches) % k != 0:
        raise ValueError(f"het aantal micro-batches ({len(batches)}) is geen veelvoud van k ({k})")
    losses: list[float] = []
    optimizer.zero_grad()
    running = 0.0
    for i, (X_micro, y_micro) in enumerate(batches, start=1):
        loss = loss_fn(model(X_micro), y_micro) / k
        loss.backward()
        running += loss.item()
        if i % k == 0:
            optimizer.step()
            optimizer.zero_grad()
            losses.append(running)
            running = 0.0
    return losses
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_accumulation_matches_full_batch", "grade": true, "points": 1}
"""Checks that accumulating over k micro-batches gives the same weights as one step on the full batch, with the
full-batch gradient in .grad at each step, one forward and backward per micro-batch, and nothing else changed."""
with quiet():
    model, optimizer, loss_fn, (X_full, y_full) = make_case(seed=4, n=32)
    twin = copy.deepcopy(model)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    train_with_accumulation(model, list(zip(X_full.chunk(4), y_full.chunk(4))), optimizer, loss_fn, k=4)
    twin_optimizer.zero_grad()
    loss_fn(twin(X_full), y_full).backward()
    twin_optimizer.step()
    assert torch.allclose(parameters_vector(model), parameters_vector(twin), atol=1e-6), (
        "Na k micro-batches wijken de gewichten af van één stap op de volle batch. Tip: welke loss geeft "
        "CrossEntropyLoss terug, een som of een gemiddelde? Hoe vaak mag step() lopen?")
    ### BEGIN HIDDEN TESTS
    # Two accumulation groups, with leftovers in .grad before the call, compared with two full-batch steps.
    model, optimizer, loss_fn, (X_full, y_full) = make_case(seed=15, n=48, lr=0.05)
    twin = copy.deepcopy(model)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.05)
    for p in model.parameters():
        p.grad = torch.ones_like(p)
    halves = [(X_full[:24], y_full[:24]), (X_full[24:], y_full[24:])]
    micro = [mb for xh, yh in halves for mb in zip(xh.chunk(3), yh.chunk(3))]
    seen, passes = grads_at_step(model, optimizer), record_passes(model)
    state_before = outside_state(model, optimizer)
    train_with_accumulation(model, micro, optimizer, loss_fn, k=3)
    state_after = outside_state(model, optimizer)
    expected_grads = []
    for xh, yh in halves:
        twin_optimizer.zero_grad()
        loss_fn(twin(xh), yh).backward()
        expected_grads.append(grads_vector(twin))
        twin_optimizer.step()
    assert torch.allclose(parameters_vector(model), parameters_vector(twin), atol=1e-6), (
        "Met twee groepen van k=3 micro-batches, en gradients die al vóór de aanroep in .grad stonden, wijken de "
        "gewichten af van twee stappen op de twee volle batches. Tip: wat staat er in .grad bij de eerste backward()?")
    assert len(seen) == 2 and all(g is not None and torch.allclose(g, e, atol=1e-6)
                                  for g, e in zip(seen, expected_grads)), (
        "De gewichten kloppen, maar bij step() staat in .grad niet de gradient van de volle batch. Tip: deel de loss, "
        "niet de lr; weight decay, Adam en gradient clipping kijken naar .grad zelf.")
    sizes = {n for _, n in passes}
    backwards = [i for i, (kind, _) in enumerate(passes) if kind == "backward"]
    assert sizes == {8} and len(backwards) == len(micro) and all(b - a > 1 for a, b in zip(backwards, backwards[1:])), (
        "Het model kreeg meer dan één micro-batch tegelijk te verwerken (in één forward, of in één backward() over "
        "meerdere micro-batches). Tip: per micro-batch één forward en één backward(), en dan pas de volgende.")
    assert_outside_state_unchanged(state_before, state_after, "train_with_accumulation")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_accumulation_step_count", "grade": true, "points": 1}
"""Checks that train_with_accumulation calls optimizer.step() once per k micro-batches and returns one loss each."""
with quiet():
    model, optimizer, loss_fn, (X_full, y_full) = make_case(seed=5, n=32)
    steps = count_steps(optimizer)
    losses = train_with_accumulation(model, list(zip(X_full.chunk(8), y_full.chunk(8))), optimizer, loss_fn, k=4)
    assert steps[0] == 2, (
        f"optimizer.step() liep {steps[0]}× voor 8 micro-batches met k=4. Tip: stap pas als je k micro-batches "
        "hebt verwerkt.")
    assert isinstance(losses, list) and len(losses) == 2 and all(isinstance(v, float) for v in losses), (
        "Verwacht een lijst met één float per optimizer-stap.")
    ### BEGIN HIDDEN TESTS
    model, optimizer, loss_fn, (X_full, y_full) = make_case(seed=16, n=30)
    steps = count_steps(optimizer)
    micro = list(zip(X_full.chunk(6), y_full.chunk(6)))
    twin = copy.deepcopy(model)
    twin_optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    expected = []
    for start in (0, 2, 4):  # groups of k=2 equal micro-batches: their mean loss is the loss of the group
        twin_optimizer.zero_grad()
        loss = loss_fn(twin(torch.cat([a for a, _ in micro[start:start + 2]])),
                       torch.cat([b for _, b in micro[start:start + 2]]))
        expected.append(loss.item())
        loss.backward()
        twin_optimizer.step()
    losses = train_with_accumulation(model, iter(micro), optimizer, loss_fn, k=2)
    assert steps[0] == 3 and len(losses) == 3, (
        f"Met een generator van 6 micro-batches en k=2: {steps[0]} stappen en {len(losses)} losses, verwacht 3 en 3. "
        "Tip: een generator heeft geen len() en kun je maar één keer doorlopen.")
    for i, (got, want) in enumerate(zip(losses, expected), start=1):
        assert abs(got - want) < 1e-5, (
            f"De loss van stap {i} is {got:.5f}, verwacht {want:.5f}: het gemiddelde van de losses van de k "
            "micro-batches van díe stap (vóór de stap). Tip: wat staat er in je lopende som als de volgende groep "
            "begint?")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_accumulation_rejects_bad_k", "grade": true, "points": 1}
"""Checks that train_with_accumulation raises ValueError, before training, for a bad k or a count not a multiple of k."""
with quiet():
    model, optimizer, loss_fn, (X_full, y_full) = make_case(seed=6, n=30)
    micro = list(zip(X_full.chunk(5), y_full.chunk(5)))
    for bad_k in (0, -2):
        try:
            train_with_accumulation(model, micro, optimizer, loss_fn, k=bad_k)
        except ValueError as exc:
            assert_dutch(exc, f"k={bad_k}")
        else:
            raise AssertionError(f"k={bad_k} gaf geen ValueError. Tip: controleer k voordat je gaat trainen.")
    ### BEGIN HIDDEN TESTS
    micro6 = list(zip(X_full.chunk(6), y_full.chunk(6)))
    micro3 = list(zip(X_full.chunk(3), y_full.chunk(3)))
    before = parameters_vector(model)
    # 6 micro-batches are a multiple of k=1.5, 2.0 and True, so only a check on k itself catches those.
    for label, batches, bad_k in (("5 micro-batches met k=2", micro, 2), ("k=1.5", micro6, 1.5),
                                  ("k=2.0 (een float)", micro6, 2.0), ("k=True (een bool)", micro6, True),
                                  ("3 micro-batches met k=4", micro3, 4),
                                  ("een generator van 5 micro-batches met k=2", iter(micro), 2)):
        try:
            train_with_accumulation(model, batches, optimizer, loss_fn, k=bad_k)
        except ValueError as exc:
            assert_dutch(exc, label)
        else:
            raise AssertionError(f"{label} gaf geen ValueError.")
        assert torch.equal(before, parameters_vector(model)), (
            f"Bij {label} is er eerst getraind en pas daarna een fout gegooid. Tip: controleer de invoer vóór de "
            "eerste stap.")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 3 — Reken het uit (2 punten)
#
# Beantwoord zonder de code te draaien (daarna mag je het natuurlijk controleren):
#
# a. De lus uit de oorspronkelijke vraag loopt `100` stappen met `torch.optim.SGD(model.parameters(), lr=0.1)` en de
#    standaard `optimizer.zero_grad()`. Hoe vaak veranderen de gewichten? Ken het antwoord (een `int`) toe aan
#    `n_updates_original_loop`.
#
# b. Dezelfde lus, maar met `zero_grad(set_to_none=False)` en `SGD(..., lr=0.1, weight_decay=0.01)`. Met welke
#    factor is elk gewicht na `100` stappen vermenigvuldigd? Ken het antwoord (een `float`, exact, niet benaderd)
#    toe aan `shrink_factor`.

# %% nbgrader={"grade_id": "quantitative_answers", "solution": true}
### BEGIN SOLUTION
n_updates_original_loop = 0
shrink_factor = (1 - 0.1 * 0.01) ** 100
### END SOLUTION

# %% nbgrader={"grade_id": "test_original_loop_update_count", "grade": true, "points": 1}
"""Checks the number of weight updates the original loop makes in 100 steps."""
assert isinstance(n_updates_original_loop, int) and not isinstance(n_updates_original_loop, bool), (
    "n_updates_original_loop moet een int zijn (een aantal).")
assert 0 <= n_updates_original_loop <= 100, "Het aantal updates ligt tussen 0 en 100."
### BEGIN HIDDEN TESTS
assert n_updates_original_loop == 0, (
    "Dat aantal klopt niet. Tip: wat staat er in .grad op het moment dat step() loopt (demo 1)?")
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_weight_decay_shrink_factor", "grade": true, "points": 1}
"""Checks the factor by which weight decay shrinks the weights in the original loop with set_to_none=False."""
assert isinstance(shrink_factor, float), "shrink_factor moet een float zijn."
assert 0 < shrink_factor <= 1, "Tip: weight decay maakt gewichten kleiner, niet groter of negatief."
### BEGIN HIDDEN TESTS
assert abs(shrink_factor - 0.999 ** 100) < 5e-6, (
    "Die factor is niet exact. Tip: wat doet één stap met een gewicht (zie 'Hoe weight decay werkt'), en wat doen "
    "100 stappen achter elkaar? Een benadering zoals 1 − n·lr·λ of exp(−n·lr·λ) is niet precies genoeg.")
### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Leg in eigen woorden uit wat er fout is aan de lus uit de oorspronkelijke vraag en waarom. Noem wat er met `.grad`
# gebeurt bij elke aanroep, wat het effect op de training is, en hoe je het herstelt.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Wat er fout is:* `zero_grad()` staat tussen `backward()` en `step()`, dus de gradient die `backward()` net
#    berekende wordt gewist vóór `step()` hem gebruikt.
# 2. *Gevolg in PyTorch ≥ 2.0:* `zero_grad()` zet `.grad` op `None`; `step()` slaat parameters zonder gradient over.
#    De gewichten veranderen nooit, de loss blijft vlak. (Met `set_to_none=False` en weight decay krimpen de
#    gewichten alleen, met factor `(1 − lr·λ)` per stap.)
# 3. *Correctie van de gangbare uitleg (het antwoordmodel):* er is géén accumulatie van eerdere gradients in deze
#    lus; accumulatie treedt op als je `zero_grad()` weglaat.
# 4. *Herstel:* `zero_grad()` vóór `backward()` (begin van de iteratie, of na `step()` in een lus die schoon begint);
#    bewust accumuleren kan door pas na `k` micro-batches te stappen en `loss / k` te gebruiken.
#
# Puntentoekenning: 1 punt voor 1+2, 1 punt voor 3, 1 punt voor 4.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - `backward()` **telt op** bij `.grad`; `zero_grad()` wist; `step()` gebruikt wat er op dat moment in `.grad` staat.
# - De lus uit de oorspronkelijke vraag wist de gradient vlak vóór `step()`: in PyTorch 2.x doet hij **nul** updates
#   (niet "accumulatie", zoals het antwoordmodel zegt).
# - Zonder `zero_grad()` stapelen gradients wél op: eerst lijkt dat sneller, daarna schieten de stappen door.
# - Wissen na `step()` werkt in een lus die schoon begint; een functie die niet weet wat er al in `.grad` staat,
#   wist vóór `backward()`.
# - Bewust accumuleren: `loss / k` per micro-batch (bij ongelijke micro-batches: som / totaal aantal), clipping en
#   `GradScaler.unscale_` na de laatste `backward()`, dan `step()` en `zero_grad()` — dat geeft exact de gradient van
#   de volle batch.

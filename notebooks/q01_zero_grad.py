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
# 2. uitleggen waarom de lus hierboven op huidige PyTorch **helemaal niet leert** (en niet "gradients opstapelt");
# 3. een correcte trainingsstap schrijven die niet afhangt van wat er al in `.grad` stond;
# 4. bewust gradients accumuleren over `k` micro-batches zodat je precies de gradient van de hele batch krijgt.
#
# **Tijd:** ongeveer 30 minuten. Alles draait op de CPU, zonder downloads.
#
# In de code gebruiken we vaste namen: `model`, `optimizer`, `loss_fn` (de seed noemt dit `criterion`),
# `loader`, `X`/`y`, `lr` en `num_epochs`.

# %% [markdown]
# ## Opzet
# Deze cel is vergrendeld: bij het nakijken wordt ze teruggezet zoals ze hier staat.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.

# %% nbgrader={"grade_id": "setup", "locked": true}
import copy

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mlinfra import HEAVY, seed_everything
from mlinfra.data import make_blobs
from mlinfra.grading import quiet
from mlinfra.models import grads_vector, mlp, parameters_vector
from mlinfra.plots import plot_curves, set_style

set_style()
seed_everything(0)
torch.set_num_threads(1)
device = torch.device("cpu")

X, y = make_blobs(n=512, num_features=2, num_classes=3, spread=2.5, seed=0)  # overlapping classes
print(f"X: {tuple(X.shape)} {X.dtype}, y: {tuple(y.shape)} {y.dtype}, klassen: {y.unique().tolist()}")
print(f"HEAVY = {HEAVY}")

# %% [markdown]
# ## Demo 1 — Wat staat er in `.grad`?
#
# We volgen één gewicht door de drie aanroepen van de seed-lus heen: `backward()`, dan `zero_grad()`, dan `step()`.
# Sinds PyTorch 2.0 zet `optimizer.zero_grad()` de gradients standaard op `None` (`set_to_none=True`)
# in plaats van op nul.

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
# zonder gradient over — het gewicht verandert niet.

# %% [markdown]
# ## Demo 2 — Vier trainingslussen naast elkaar
#
# Dezelfde data, hetzelfde startpunt, dezelfde `lr`; alleen de volgorde van de aanroepen verschilt.
# Per stap meten we de loss, of de gewichten veranderd zijn, en de norm van alle gewichten.
#
# | lus | volgorde |
# |---|---|
# | correct | `zero_grad` → forward → `backward` → `step` |
# | seed | forward → `backward` → `zero_grad` → `step` |
# | nooit `zero_grad` | forward → `backward` → `step` |
# | seed, `set_to_none=False` + weight decay | forward → `backward` → `zero_grad(set_to_none=False)` → `step` |

# %%
def run_loop(order: str, num_epochs: int, lr: float = 0.1, weight_decay: float = 0.0, seed: int = 0) -> dict:
    """Train a fresh model with one of the four call orders; record loss, updates and weight norm per step."""
    g = seed_everything(seed)
    model = mlp(2, 16, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, generator=g)
    history = {"loss": [], "updated": [], "norm_start": parameters_vector(model).norm().item()}
    for _ in range(num_epochs):
        for xb, yb in loader:
            before = parameters_vector(model)
            if order == "correct":
                optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            if order == "seed":
                optimizer.zero_grad()
            elif order == "seed_zeros":
                optimizer.zero_grad(set_to_none=False)
            optimizer.step()
            after = parameters_vector(model)
            history["loss"].append(loss.item())
            history["updated"].append(not torch.equal(before, after))
    history["norm_end"] = parameters_vector(model).norm().item()
    return history


num_epochs = 8 if HEAVY else 2
runs = {
    "correct": run_loop("correct", num_epochs),
    "seed": run_loop("seed", num_epochs),
    "nooit zero_grad": run_loop("never", num_epochs),
    "seed, set_to_none=False, wd=0.05": run_loop("seed_zeros", num_epochs, weight_decay=0.05),
}
print(f"{'lus':<34}{'loss start':>11}{'loss eind':>11}{'updates':>10}{'‖w‖ start':>11}{'‖w‖ eind':>10}")
for name, h in runs.items():
    print(f"{name:<34}{h['loss'][0]:>11.3f}{h['loss'][-1]:>11.3f}"
          f"{sum(h['updated']):>6}/{len(h['updated']):<3}{h['norm_start']:>11.3f}{h['norm_end']:>10.3f}")

# %%
plot_curves({name: h["loss"] for name, h in runs.items()},
            title="Loss per stap bij vier volgordes", xlabel="optimizer-stap", ylabel="cross-entropy loss (log)", logy=True)
plt.show()

# %% [markdown]
# **Conclusie:** alleen de correcte lus leert. De seed-lus doet nul updates: de loss blijft vlak. Zonder `zero_grad`
# tellen de gradients van alle vorige batches mee, de stappen worden steeds groter en de loss schiet omhoog (pieken tot ver boven de startwaarde).
# Met `set_to_none=False` en weight decay bewegen de gewichten wél — ze krimpen naar nul (zie `‖w‖`), maar ze
# leren niets van de data.

# %% [markdown]
# ## Veelgemaakte misvatting
#
# > *Seed-antwoord:* "`optimizer.zero_grad()` moet vóór `loss.backward()`; de huidige volgorde leidt tot
# > accumulatie van eerdere gradients."
#
# De eerste helft klopt, de reden niet. In de seed-lus wordt de gradient gewist **vlak voordat** `step()` hem nodig
# heeft; er blijft dus niets over om op te stapelen. Accumulatie krijg je juist als je `zero_grad()` **nooit**
# aanroept (de derde lus). Het bewijs staat hieronder: we tellen wat `step()` te zien krijgt.

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
# **Conclusie:** bij elke `step()` is `.grad` `None`; er valt niets te accumuleren en er wordt niets geleerd.
# Op PyTorch < 2.0 (toen `set_to_none=False` de standaard was) stond er een nul-gradient: hetzelfde resultaat, behalve
# met weight decay, waar de gewichten alleen krimpen.

# %% [markdown]
# ## Demo 3 — Bewust accumuleren: `k` micro-batches = één grote batch
#
# Soms past een batch van 64 niet in het geheugen en wil je toch met de gradient van 64 voorbeelden stappen. Dan
# splits je de batch in `k` micro-batches, roep je per micro-batch `backward()` aan op `loss / k`, en pas na de
# `k`-de micro-batch `step()` en `zero_grad()`. Omdat `CrossEntropyLoss` standaard het **gemiddelde** neemt, is het
# gemiddelde van `k` gelijke micro-batch-losses precies de loss van de grote batch.

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

# %%
fig, ax = plt.subplots()
ks = [r[0] for r in rows]
ax.plot(ks, [r[2] for r in rows], "o-", label="zonder / k")
ax.plot(ks, [1.0] * len(ks), "--", label="met / k (= volle batch)")
ax.set_xscale("log", base=2)
ax.set_xlabel("aantal micro-batches k")
ax.set_ylabel("‖geaccumuleerde gradient‖ / ‖gradient volle batch‖")
ax.set_title("Accumuleren zonder te delen door k vergroot de stap k keer")
ax.legend()
plt.show()

# %% [markdown]
# **Conclusie:** met `loss / k` is de geaccumuleerde gradient gelijk aan die van de volle batch (verschil rond
# `1e-8`, afrondingsruis); zonder delen is hij precies `k` keer zo groot — alsof je `lr` met `k` vermenigvuldigt.
#
# Let op: dit is exact voor een loss die het gemiddelde neemt en even grote micro-batches. Met `BatchNorm` in het model
# is het niet exact, want BatchNorm normaliseert per micro-batch.

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt kleine modellen en batches voor de tests. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
def make_case(seed: int, n: int = 32, lr: float = 0.1, opt: str = "sgd"):
    """A fresh (model, optimizer, loss_fn, batch) for one test, seeded."""
    seed_everything(seed)
    model = mlp(4, 8, 3)
    params = model.parameters()
    optimizer = torch.optim.SGD(params, lr=lr) if opt == "sgd" else torch.optim.Adam(params, lr=lr)
    g = torch.Generator().manual_seed(seed)
    batch = (torch.randn(n, 4, generator=g), torch.randint(0, 3, (n,), generator=g))
    return model, optimizer, nn.CrossEntropyLoss(), batch


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

# %% [markdown]
# ### Oefening 1 — Een correcte trainingsstap (3 punten)
#
# Schrijf `train_step(model, batch, optimizer, loss_fn)`. De functie
# - doet precies **één** update van de gewichten met de gradient van **deze** batch (`batch` is een tuple `(X, y)`);
# - mag **niet** afhangen van wat er vóór de aanroep al in `.grad` stond (een eerdere aanroep, of iets anders);
# - geeft de loss van de batch (vóór de update) terug als gewone Python-`float`.

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
    assert not torch.equal(before, parameters_vector(model))
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_train_step_uses_fresh_gradient", "grade": true, "points": 1}
"""Checks that train_step steps with this batch's gradient only, whatever .grad held before the call."""
with quiet():
    model, optimizer, loss_fn, batch = make_case(seed=2, lr=0.1)
    for p in model.parameters():  # leftovers from an earlier step
        p.grad = torch.full_like(p, 5.0)
    expected = [p.detach() - 0.1 * g for p, g in zip(model.parameters(), fresh_gradient(model, loss_fn, batch))]
    train_step(model, batch, optimizer, loss_fn)
    for p, e in zip(model.parameters(), expected):
        assert torch.allclose(p.detach(), e, atol=1e-6), (
            "De update is niet -lr × de gradient van deze batch. Tip: wat gebeurt er met gradients die al in .grad "
            "stonden als je backward() aanroept?")
    ### BEGIN HIDDEN TESTS
    # Two calls in a row: the second step must use only the second batch's gradient.
    model, optimizer, loss_fn, batch = make_case(seed=12, lr=0.05)
    _, _, _, batch2 = make_case(seed=13)
    train_step(model, batch, optimizer, loss_fn)
    expected = [p.detach() - 0.05 * g for p, g in zip(model.parameters(), fresh_gradient(model, loss_fn, batch2))]
    train_step(model, batch2, optimizer, loss_fn)
    for p, e in zip(model.parameters(), expected):
        assert torch.allclose(p.detach(), e, atol=1e-6)
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
    with torch.no_grad():
        expected = loss_fn(model(batch[0]), batch[1]).item()
    assert abs(train_step(model, batch, optimizer, loss_fn) - expected) < 1e-6
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 2 — Gradient accumulation (3 punten)
#
# Schrijf `train_with_accumulation(model, batches, optimizer, loss_fn, k)`.
# - `batches` is een lijst (of iterable) van micro-batches `(X, y)`, allemaal even groot.
# - Na elke `k` micro-batches doe je **één** optimizer-stap, met precies de gradient die je zou krijgen als je die
#   `k` micro-batches samen als één batch had genomen. Gradients die vóór de aanroep in `.grad` stonden tellen niet mee.
# - Geef een lijst terug met per optimizer-stap de gemiddelde loss van de `k` micro-batches (als `float`).
# - Is `k` geen positief geheel getal, of is het aantal micro-batches geen veelvoud van `k`, gooi dan een
#   `ValueError` met een duidelijke Nederlandse melding.

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
"""Checks that accumulating over k micro-batches gives the same weights as one step on the full batch."""
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
    train_with_accumulation(model, micro, optimizer, loss_fn, k=3)
    for xh, yh in halves:
        twin_optimizer.zero_grad()
        loss_fn(twin(xh), yh).backward()
        twin_optimizer.step()
    assert torch.allclose(parameters_vector(model), parameters_vector(twin), atol=1e-6)
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
    with torch.no_grad():
        first = sum(loss_fn(model(a), b).item() for a, b in micro[:2]) / 2
    losses = train_with_accumulation(model, iter(micro), optimizer, loss_fn, k=2)
    assert steps[0] == 3 and len(losses) == 3
    assert abs(losses[0] - first) < 1e-5
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_accumulation_rejects_bad_k", "grade": true, "points": 1}
"""Checks that train_with_accumulation raises ValueError for a bad k or a count that is not a multiple of k."""
with quiet():
    model, optimizer, loss_fn, (X_full, y_full) = make_case(seed=6, n=30)
    micro = list(zip(X_full.chunk(5), y_full.chunk(5)))
    for bad_k in (0, -2):
        try:
            train_with_accumulation(model, micro, optimizer, loss_fn, k=bad_k)
        except ValueError:
            pass
        else:
            raise AssertionError(f"k={bad_k} gaf geen ValueError. Tip: controleer k voordat je gaat trainen.")
    ### BEGIN HIDDEN TESTS
    before = parameters_vector(model)
    for bad in (dict(k=2), dict(k=1.5)):
        try:
            train_with_accumulation(model, micro, optimizer, loss_fn, **bad)
        except ValueError as exc:
            assert str(exc).strip(), "lege foutmelding"
        else:
            raise AssertionError(f"{bad} gaf geen ValueError")
    assert torch.equal(before, parameters_vector(model)), "bij ongeldige invoer mag er niet getraind worden"
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 3 — Reken het uit (2 punten)
#
# Beantwoord zonder de code te draaien (daarna mag je het natuurlijk controleren):
#
# a. De seed-lus loopt `100` stappen met `torch.optim.SGD(model.parameters(), lr=0.1)` en de standaard
#    `optimizer.zero_grad()`. Hoe vaak veranderen de gewichten? Zet het antwoord als `int` in `n_updates_seed_loop`.
#
# b. Dezelfde seed-lus, maar met `zero_grad(set_to_none=False)` en `SGD(..., lr=0.1, weight_decay=0.01)`.
#    Met welke factor is elk gewicht na `100` stappen vermenigvuldigd? Zet het als `float` in `shrink_factor`.

# %% nbgrader={"grade_id": "quantitative_answers", "solution": true}
### BEGIN SOLUTION
n_updates_seed_loop = 0
shrink_factor = (1 - 0.1 * 0.01) ** 100
### END SOLUTION

# %% nbgrader={"grade_id": "test_seed_loop_update_count", "grade": true, "points": 1}
"""Checks the number of weight updates the seed loop makes in 100 steps."""
assert isinstance(n_updates_seed_loop, int), "n_updates_seed_loop moet een int zijn"
assert 0 <= n_updates_seed_loop <= 100, "Het aantal updates ligt tussen 0 en 100."
### BEGIN HIDDEN TESTS
assert n_updates_seed_loop == 0
### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_weight_decay_shrink_factor", "grade": true, "points": 1}
"""Checks the factor by which weight decay shrinks the weights in the seed loop with set_to_none=False."""
assert isinstance(shrink_factor, float), "shrink_factor moet een float zijn"
assert 0 < shrink_factor <= 1, "Tip: weight decay maakt gewichten kleiner, niet groter of negatief."
### BEGIN HIDDEN TESTS
assert abs(shrink_factor - 0.999 ** 100) < 1e-4
### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (3 punten, handmatig nagekeken)
#
# Leg in eigen woorden uit wat er fout is aan de seed-lus en waarom. Noem wat er met `.grad` gebeurt bij elke
# aanroep, wat het effect op de training is, en hoe je het herstelt.

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 3}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Wat er fout is:* `zero_grad()` staat tussen `backward()` en `step()`, dus de gradient die `backward()` net
#    berekende wordt gewist vóór `step()` hem gebruikt.
# 2. *Gevolg op PyTorch ≥ 2.0:* `zero_grad()` zet `.grad` op `None`; `step()` slaat parameters zonder gradient over.
#    De gewichten veranderen nooit, de loss blijft vlak. (Met `set_to_none=False` en weight decay krimpen de
#    gewichten alleen.)
# 3. *Correctie van de gangbare uitleg:* er is géén accumulatie van eerdere gradients in deze lus; accumulatie treedt
#    op als je `zero_grad()` weglaat.
# 4. *Herstel:* `zero_grad()` vóór `backward()` (begin van de iteratie, of na `step()`); bewust accumuleren kan door
#    pas na `k` micro-batches te stappen en `loss / k` te gebruiken.
#
# Puntentoekenning: 1 punt voor 1+2, 1 punt voor 3, 1 punt voor 4.
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - `backward()` **telt op** bij `.grad`; `zero_grad()` wist; `step()` gebruikt wat er op dat moment in `.grad` staat.
# - De seed-lus wist de gradient vlak vóór `step()`: op PyTorch ≥ 2.0 doet hij **nul** updates (niet "accumulatie").
# - Zonder `zero_grad()` stapelen gradients wél op: de stappen worden steeds groter.
# - Bewust accumuleren: `loss / k` per micro-batch, `step()` en `zero_grad()` na elke `k` micro-batches — dat geeft
#   exact de gradient van de volle batch (bij een gemiddelde loss en gelijke micro-batches).

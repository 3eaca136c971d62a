"""The helper package: reproducibility, clear Dutch errors on bad input, quiet test cells."""

import sys
import warnings

import pytest
import torch

from mlinfra import seed_everything
from mlinfra.data import make_blobs, make_regression
from mlinfra.grading import DUTCH_WORDS, assert_dutch, looks_dutch, quiet
from mlinfra.models import grads_vector, mlp, parameters_vector, saved_for_backward


def test_seed_everything_makes_torch_reproducible():
    """Seeding twice with the same value gives the same random numbers."""
    seed_everything(3)
    a = torch.randn(5)
    seed_everything(3)
    assert torch.equal(a, torch.randn(5))


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seed(bad):
    """A seed that is not a non-negative int raises a Dutch ValueError."""
    with pytest.raises(ValueError, match="seed moet"):
        seed_everything(bad)


def test_make_blobs_shapes_dtypes_and_determinism():
    """make_blobs returns float32 X, int64 y with every class, identical for the same seed."""
    X, y = make_blobs(n=90, num_features=3, num_classes=3, seed=1)
    assert X.shape == (90, 3) and X.dtype == torch.float32
    assert y.shape == (90,) and y.dtype == torch.int64 and set(y.tolist()) == {0, 1, 2}
    X2, y2 = make_blobs(n=90, num_features=3, num_classes=3, seed=1)
    assert torch.equal(X, X2) and torch.equal(y, y2)


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(num_classes=0), dict(n=2, num_classes=3)])
def test_make_blobs_rejects_bad_sizes(kwargs):
    """Impossible sizes raise a Dutch ValueError instead of returning odd data."""
    with pytest.raises(ValueError, match="moet|mag niet"):
        make_blobs(**kwargs)


def test_make_regression_shapes():
    """make_regression returns (n, d) inputs and (n, 1) targets."""
    X, y = make_regression(n=10, num_features=2)
    assert X.shape == (10, 2) and y.shape == (10, 1)


def test_mlp_layers_and_bad_dropout():
    """mlp adds BatchNorm and Dropout on request and refuses a dropout outside [0, 1)."""
    model = mlp(2, 4, 3, dropout=0.5, batchnorm=True)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    with pytest.raises(ValueError, match="dropout"):
        mlp(2, 4, 3, dropout=1.0)


def test_parameter_and_grad_vectors():
    """parameters_vector copies the weights; grads_vector is None before backward and aligned after."""
    model = mlp(2, 4, 3)
    vec = parameters_vector(model)
    assert vec.numel() == sum(p.numel() for p in model.parameters())
    assert grads_vector(model) is None
    model(torch.randn(5, 2)).sum().backward()
    assert grads_vector(model).shape == vec.shape
    vec += 1  # a copy: the model is untouched
    assert not torch.equal(vec, parameters_vector(model))


def test_quiet_silences_warnings_and_stderr(capsys):
    """Inside quiet() neither a warning nor a stderr write reaches the real stderr."""
    with quiet() as captured:
        warnings.warn("noisy", UserWarning, stacklevel=1)
        print("bar", file=sys.stderr)
    assert capsys.readouterr().err == ""
    assert "bar" in captured.getvalue()


def test_saved_for_backward_counts_activations_not_parameters():
    """saved_for_backward: a graph and the saved activations with autograd on; no graph and 0 bytes without."""
    seed_everything(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    x = torch.randn(16, 4)
    has_graph, n_bytes = saved_for_backward(model, x)
    # Each Linear keeps its input for its weight's gradient (x: 16x4, the hidden 16x8) and ReLU keeps its output
    # (16x8), all float32; the weights are kept too, but they are parameters and not counted.
    assert has_graph and n_bytes == (16 * 4 + 2 * 16 * 8) * 4
    for context in (torch.no_grad, torch.inference_mode):
        assert saved_for_backward(model, x, context) == (False, 0)
    assert all(p.grad is None for p in model.parameters())


def test_saved_for_backward_rejects_bad_input():
    """saved_for_backward raises a Dutch TypeError for a model that is not an nn.Module or x not a tensor."""
    with pytest.raises(TypeError, match="nn.Module"):
        saved_for_backward("model.pt", torch.zeros(1))
    with pytest.raises(TypeError, match="torch.Tensor"):
        saved_for_backward(torch.nn.Linear(1, 1), [0.0])


@pytest.mark.parametrize(
    "message",
    [
        "config.json ontbreekt",
        "De maten moeten positieve gehele getallen zijn: {'hidden': 0}",
        "/tmp/run/model.safetensors: geen geldig safetensors-bestand",
        "Ongelijke lengtes: 3 tegenover 4",
        "TinyNet vereist",
        "Lijst verwacht, kreeg str",
    ],
)
def test_assert_dutch_accepts_dutch_messages(message):
    """A Dutch message passes, with or without a path or a quoted value in it."""
    assert looks_dutch(message)
    assert_dutch(ValueError(message), "dit geval")


@pytest.mark.parametrize(
    "message",
    [
        "",
        "config.json not found",
        "/tmp/de/het/een/config.json: No such file or directory",  # Dutch-looking folder names are ignored
        "C:\\de\\een\\model.safetensors is missing",
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        "Error while deserializing header: header too large",
        "Maximum upload size exceeded",
        "cannot identify image file <_io.BytesIO object at 0x7f>",
        'Error(s) in loading state_dict for TinyNet:\n\tMissing key(s) in state_dict: "bn.running_var".',
        "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running "
        "on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your storages to "
        "the CPU.",
    ],
)
def test_assert_dutch_rejects_empty_and_english_messages(message):
    """An empty message, or an English one such as Python's or PyTorch's own, fails with a Dutch hint."""
    assert not looks_dutch(message)
    with pytest.raises(AssertionError, match="Lege melding|lijkt niet Nederlands"):
        assert_dutch(ValueError(message), "dit geval")


def test_dutch_words_are_lowercase_words():
    """The word list holds only lowercase words, the form the check compares against."""
    assert DUTCH_WORDS and all(word.isalpha() and word == word.lower() for word in DUTCH_WORDS)

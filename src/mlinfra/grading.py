"""Helpers for graded test cells.

nbgrader gives a test cell 0 points as soon as anything reaches stderr (a ``UserWarning`` from torch, a tqdm bar),
even when every assertion passes. Test cells wrap their body in :func:`quiet` so that a correct answer that happens
to warn still earns its points.

A passing test cell would otherwise show nothing at all, so :func:`quiet` also confirms success in Dutch on stdout
(nbgrader scores only errors, stderr and a numeric result; printed text changes no score). The confirmation is
printed after the whole cell ran without an error, so an ``assert`` after the ``with`` block counts too.

Exercises ask for Dutch error messages; :func:`assert_dutch` is the lenient check test cells use for that (at least
one common Dutch word, paths ignored), so a message passed on from Python or PyTorch, which is English, is caught.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from collections.abc import Iterator

CONFIRMATION = "✓ Test geslaagd."
_PENDING = "_mlinfra_confirmation_pending"


def _test_cell_shell():
    """The IPython shell when the running cell is a test cell (its source opens with a docstring), else None."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is always there in a kernel
        return None
    shell = get_ipython()
    if shell is None:
        return None
    history = shell.user_ns.get("_ih") or [""]
    source = str(history[-1]).lstrip()
    return shell if source.startswith(('"""', "'''", 'r"""')) else None


def _confirm_after_cell(shell) -> None:
    """Print the confirmation once, after the current cell, if the cell as a whole raised nothing."""
    if getattr(shell, _PENDING, False):
        return

    def after(result=None) -> None:
        try:
            shell.events.unregister("post_run_cell", after)
            setattr(shell, _PENDING, False)
            if result is None or result.success:
                print(CONFIRMATION)
        except Exception:  # never let the confirmation itself put a traceback on stderr
            pass

    setattr(shell, _PENDING, True)
    shell.events.register("post_run_cell", after)


@contextlib.contextmanager
def quiet(confirm: bool | None = None) -> Iterator[io.StringIO]:
    """Silence warnings and capture stderr for the duration of the block (stdout is left alone).

    ``confirm``: print :data:`CONFIRMATION` when the block (and, in a notebook, the rest of its cell) raised
    nothing. By default only in a notebook test cell, i.e. a cell whose source opens with a docstring.
    """
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(buffer):
            yield buffer
    # reached only when the block raised nothing
    if confirm is False:
        return
    shell = _test_cell_shell()
    if shell is not None:
        _confirm_after_cell(shell)
    elif confirm:
        print(CONFIRMATION)


# Common Dutch words of an error message. None of them is an English word that a library
# message would contain (so no 'map', 'past' or 'die').
DUTCH_WORDS = frozenset(
    """
    aan aantal aanwezig afbeelding afbeeldingen afgebroken afgewezen afmeting afmetingen alleen als alsjeblieft
    andere apparaat beeld beelden beschadigd beschikbaar bestaat bestand bestanden bestandsformaat bevat bij breedte
    dan dat de deze dezelfde dit een en er exporteer formaat foto fout foute gebruik geef geen geheel geldig geldige
    gelezen gelijk geopend getal getallen gevonden gevraagd geweigerd gewichten goed graag grens groot grootte grote
    groter heeft helaas hele het hetzelfde hoeft hoogstens hoogte hoort iets ik inhoud invoer je juist juiste kan
    kapot ken kies klein kleine kleiner klopt komt kon kreeg kun kunnen laad laden leeg leesbaar leesbare lege
    lengte lengtes lezen lijst limiet maar maat mag maten maximaal meer met minder mislukt missen moet moeten
    mogelijk mogen naar negatief negatieve niet niets nodig nog nu nul om omdat omgevingsvariabele omvang onbekend
    onbekende ondersteund ongeldig ongeldige ongelijk ongelijke ongeschikt onjuist onjuiste onleesbaar onleesbare
    ontbreekt ontbreken ontbrekend ontbrekende ontvangen ook op openen opgegeven overschreden overschrijdt passen
    plaatje plaatjes positief positieve probeer rij rijen sleutel sleutels soort staat stuur te tegenover tekst
    toegelaten toegestaan tot uit uitvoer van vereist verkeerd verkeerde verplicht verschillen verschillend
    verschillende verwacht verwachtte voor vorm waar waarde waarden wat wel welke wordt zijn zonder
""".split()
)


def looks_dutch(text: str) -> bool:
    """True when ``text``, with paths left out, contains at least one common Dutch word (:data:`DUTCH_WORDS`)."""
    without_paths = re.sub(r"\S*[/\\]\S*", " ", str(text).lower())
    return not DUTCH_WORDS.isdisjoint(re.findall(r"[a-zà-ÿ]+", without_paths))


def assert_dutch(exc: BaseException, what: str) -> None:
    """Assert that the message of ``exc`` is not empty and reads as Dutch; ``what`` names the case in the hint."""
    text = str(exc).strip()
    assert text, f"Lege melding bij {what}. Tip: geef de {type(exc).__name__} een duidelijke melding mee."
    assert looks_dutch(text), (
        f"De melding bij {what} lijkt niet Nederlands: {text[:120]!r}. Tip: de opdracht vraagt Nederlandse meldingen "
        "die zeggen wat er mis is; ook een melding van PyTorch of Python zelf is Engels."
    )

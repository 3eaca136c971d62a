# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Vraag 8 — Model artifacts veilig naar MinIO uploaden vanuit CI
#
# > **Oefenvraag.** Beschrijf hoe je model artifacts veilig naar MinIO uploadt in een CI-pijplijn zonder credentials
# > te lekken.
#
# **Leerdoelen.** Na dit notebook kun je
# 1. een CI-gebruiker met *least privilege* inrichten (alleen `s3:PutObject` onder één prefix) en laten zien wat hij
#    allemaal **niet** mag;
# 2. de gangbare lekken van credentials aanwijzen en dichtzetten: een sleutel in de code, `print(os.environ)` of
#    `set -x` in een CI-stap, tracebacks met lokale variabelen, presigned URL's, HTTP-traces;
# 3. een upload schrijven die credentials alleen uit de omgeving haalt, een checksum meestuurt en controleert, en bij
#    een fout niets geheims laat zien;
# 4. een logregel redigeren, ook als het secret URL-gecodeerd of over twee regels staat.
#
# **Tijd:** ongeveer 45 minuten. Alles draait lokaal, zonder downloads.
#
# **Welke server?** Standaard start dit notebook een ingebouwde S3-server (de S3-server van de Python-bibliotheek
# `moto`) in een apart proces op `127.0.0.1`, met authenticatie aan: een verkeerd secret, een onbekende sleutel en een
# ontbrekend recht worden geweigerd, net als bij MinIO. Heb je een echte MinIO, zet dan vóór het starten van Jupyter
# `MLINFRA_MINIO_URL`, `MLINFRA_MINIO_ROOT_USER` en `MLINFRA_MINIO_ROOT_PASSWORD` (zie "Een echte MinIO gebruiken"
# onderaan); dan draait alles tegen die server.

# %% [markdown]
# ## Opzet
# Deze twee cellen zijn vergrendeld: bij het nakijken worden ze teruggezet zoals ze hier staan. De tweede start de
# server één keer (dat kost een paar seconden); de laatste cel van het notebook stopt hem weer, en hij stopt ook vanzelf
# als de kernel stopt.
# `HEAVY` is `False` terwijl nbgrader het notebook nakijkt; de demo's worden dan kleiner.

# %% nbgrader={"grade_id": "setup", "locked": true}
import base64
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path
from secrets import token_hex
from urllib.parse import quote, quote_plus, urlsplit

import matplotlib.pyplot as plt
import numpy as np
from minio import Minio
from minio.error import S3Error

from mlinfra import HEAVY, seed_everything
from mlinfra.grading import quiet
from mlinfra.plots import set_style
from mlinfra.s3 import Credentials, TamperingProxy, ci_policy, start_server

set_style()
seed_everything(0)
workdir = Path(tempfile.mkdtemp(prefix="q08-"))
print(f"HEAVY = {HEAVY}")

# %% nbgrader={"grade_id": "start_server", "locked": true}
server = start_server()  # embedded moto server, or your MinIO when MLINFRA_MINIO_* is set
BUCKET, PREFIX = "models", "models/ci/"
server.create_bucket(BUCKET)
server.create_bucket("datasets")
ci_creds = server.create_ci_user("ci-uploader", BUCKET, PREFIX)
print(f"server: {server.kind} op {server.url}; CI-gebruiker {ci_creds.access_key} (secret niet getoond)")

# %% [markdown]
# ## Demo 1 — Least privilege: de CI-gebruiker mag precies één ding
#
# De beheerder (admin) heeft de bucket `models` gemaakt en een gebruiker `ci-uploader` met deze policy, en niets
# anders:

# %%
print(ci_policy(BUCKET, PREFIX))

# %% [markdown]
# De CI-gebruiker uploadt een artifact met de sha256 en de git-commit als metadata. Daarna proberen de admin en de
# CI-gebruiker allebei zeven handelingen. Elke cel van de tabel is een echt verzoek aan de server.

# %%
artifact = workdir / "model.safetensors"
artifact.write_bytes(np.random.default_rng(0).bytes(64 * 1024))  # stand-in for an exported model
data = artifact.read_bytes()
sha256 = hashlib.sha256(data).hexdigest()
ci = server.client(ci_creds)
written = ci.put_object(BUCKET, f"{PREFIX}model.safetensors", io.BytesIO(data), len(data),
                        metadata={"sha256": sha256, "git-commit": "3f2c1e9"})
print(f"upload door ci-uploader: ETag {written.etag}, {len(data) / 1024:.0f} KiB")
print("metadata volgens de admin:", {k: v for k, v in server.admin_client().stat_object(
    BUCKET, f"{PREFIX}model.safetensors").metadata.items() if k.startswith("x-amz-meta")})


def try_action(client: Minio, action: str) -> str:
    """Run one S3 action; return 'OK' or the server's error code."""
    body = io.BytesIO(b"x")
    actions = {
        "PutObject models/ci/": lambda: client.put_object(BUCKET, f"{PREFIX}probe.bin", body, 1),
        "PutObject models/prod/": lambda: client.put_object(BUCKET, "models/prod/probe.bin", body, 1),
        "PutObject andere bucket": lambda: client.put_object("datasets", f"{PREFIX}probe.bin", body, 1),
        "GetObject": lambda: client.get_object(BUCKET, f"{PREFIX}model.safetensors").read(),
        "StatObject": lambda: client.stat_object(BUCKET, f"{PREFIX}model.safetensors"),
        "ListObjects": lambda: list(client.list_objects(BUCKET, recursive=True)),
        "DeleteObject": lambda: client.remove_object(BUCKET, f"{PREFIX}probe.bin"),
    }
    try:
        actions[action]()
        return "OK"
    except S3Error as exc:
        return exc.code


action_names = ["PutObject models/ci/", "PutObject models/prod/", "PutObject andere bucket", "GetObject",
                "StatObject", "ListObjects", "DeleteObject"]
matrix = {who: [try_action(client, a) for a in action_names]
          for who, client in [("ci-uploader", ci), ("admin", server.admin_client())]}
print(f"\n{'handeling':<26}{'ci-uploader':>16}{'admin':>10}")
for i, a in enumerate(action_names):
    print(f"{a:<26}{matrix['ci-uploader'][i]:>16}{matrix['admin'][i]:>10}")

# %%
fig, ax = plt.subplots(figsize=(8, 2.6))
allowed = np.array([[code == "OK" for code in row] for row in matrix.values()], dtype=float)
ax.imshow(allowed, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
for (r, c), code in np.ndenumerate(np.array(list(matrix.values()))):
    ax.text(c, r, code, ha="center", va="center", fontsize=8)
ax.set_xticks(range(len(action_names)), action_names, rotation=25, ha="right")
ax.set_yticks(range(len(matrix)), list(matrix))
ax.grid(False)
ax.set_title("Wat mag wie? (groen = toegestaan, rood = geweigerd)")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Conclusie:** de CI-gebruiker krijgt `OK` op precies één van de zeven handelingen (uploaden onder `models/ci/`) en
# `AccessDenied` op de andere zes; de admin mag alle zeven. Lekt de CI-sleutel, dan kan een aanvaller er
# artifacts onder `models/ci/` mee overschrijven, maar niets lezen, opsommen, verwijderen of elders neerzetten.
#
# Eén gevolg om te onthouden: de CI-gebruiker kan zijn eigen upload **niet teruglezen** (`GetObject`/`StatObject`
# geweigerd). Controleren of de upload klopt moet dus met wat de upload zelf teruggeeft (Demo 4).

# %% [markdown]
# ## Demo 2 — De server controleert wie je bent
#
# Drie manieren waarop een upload met de CI-sleutel misgaat. De derde verrast vaak: zonder `region=` vraagt de
# `minio`-SDK eerst de locatie van de bucket op (`GetBucketLocation`), en dat mag de CI-gebruiker niet. Een echte MinIO
# en AWS doen hetzelfde; geef `region=` dus altijd mee.

# %%
wrong_secret = Credentials(ci_creds.access_key, ci_creds.secret_key[:-4] + "AAAA")
unknown_key = Credentials("AKIA" + "UNKNOWN" * 2 + "XX", ci_creds.secret_key)
cases = {
    "verkeerd secret": server.client(wrong_secret),
    "onbekende access key": server.client(unknown_key),
    "geen region=": Minio(server.endpoint, access_key=ci_creds.access_key, secret_key=ci_creds.secret_key,
                          secure=server.secure),
    "alles goed": ci,
}
for name, client in cases.items():
    print(f"{name:<22} → {try_action(client, 'PutObject models/ci/')}")

# %% [markdown]
# **Conclusie:** alleen de vierde upload slaagt; de server weigert het verkeerde secret (`SignatureDoesNotMatch`), de
# onbekende sleutel (`InvalidAccessKeyId`) en de client zonder `region=` (`AccessDenied`).
#
# *Grenzen van de ingebouwde server (moto):* zijn beheer-API (`/moto-api`) vraagt geen wachtwoord (daarom alleen op
# `127.0.0.1`, alleen om te leren), presigned URL's werken niet meer zodra authenticatie aan staat, en hij controleert
# checksums niet zelf. Een echte MinIO doet die drie dingen wel goed.

# %% [markdown]
# ## Demo 3 — Vijf manieren om een secret te lekken, en hoe je ze dichtzet
#
# ### 3a. Een sleutel in de code
# Een sleutel in een notebook of script staat na één commit voor altijd in de git-geschiedenis. Een scanner als
# `detect-secrets` (of `gitleaks`, of GitHub's *push protection*) vindt hem. We planten een nep-sleutel in een script in
# een tijdelijke map (de sleutel wordt pas tijdens het draaien samengesteld, zodat dit notebook zelf schoon blijft).

# %%
from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings


def scan(paths: list[Path]) -> list[tuple[str, int, str]]:
    """(file name, line, finding type) for every secret detect-secrets finds in the given files."""
    with default_settings():
        found = SecretsCollection()
        for p in paths:
            found.scan_file(str(p))
    return sorted((Path(f).name, s.line_number, s.type) for f, s in found)


fake_key = "AKIA" + "Q3EGRZ7VXK4MN2PL"
fake_secret = "wJalrXUtnFEMI/K7MDENG" + "/bPxRfiCYzEXAMPLEKEY"  # pragma: allowlist secret
leaky = workdir / "upload_hardcoded.py"
leaky.write_text(f'client = Minio("minio:9000", access_key="{fake_key}",\n'
                 f'               secret_key="{fake_secret}")\n')
clean = workdir / "upload_env.py"
clean.write_text('client = Minio(endpoint, access_key=os.environ["MINIO_ACCESS_KEY"],\n'
                 '               secret_key=os.environ["MINIO_SECRET_KEY"], region=region)\n')
for p in (leaky, clean):
    hits = scan([p])
    print(f"{p.name:<22} {len(hits)} vondst(en): {hits}")

# %% [markdown]
# En de bestanden van deze cursus zelf: dit notebook, de helpers en de CI-voorbeelden in `ci/` (alleen als je het
# notebook vanuit de repository draait).

# %%
root = next((p for p in [Path.cwd(), *Path.cwd().parents] if (p / "ci" / "policy-ci-upload.json").exists()), None)
if root is None:
    print("repository niet gevonden (notebook los gedraaid): scan overgeslagen")
else:
    own = [root / "notebooks" / "q08_minio_ci.py", root / "src" / "mlinfra" / "s3.py", *sorted((root / "ci").glob("*"))]
    own = [p for p in own if p.exists()]
    print(f"{len(own)} bestanden gescand, {len(scan(own))} vondst(en)")

# %% [markdown]
# **Conclusie:** de scanner vindt de geplante sleutel (`AWS Access Key`) en het secret (3 vondsten); de versie die
# `os.environ` leest heeft er 0, en de bestanden van de cursus ook. Dat laatste kan alleen omdat de nep-secrets in de
# tests van dit notebook gemarkeerd zijn met het commentaar `# pragma: allowlist secret`: zo'n markering zet je
# alleen bij testwaarden, en een reviewer moet elke nieuwe markering bekijken. Draai zo'n scan in een pre-commit hook
# én in CI, en behandel een gelekte sleutel als verloren: intrekken en vervangen, niet alleen uit de code halen.
#
# ### 3b. `print(os.environ)`, `env` en `set -x` in een CI-stap
# CI-systemen *maskeren* secrets in de log: GitHub en GitLab vervangen de letterlijke waarde door `***`. We bouwen
# een CI-stap na met `bash` en een masker dat precies dat doet, en kijken wat er overblijft.

# %%
secret = ci_creds.secret_key[:10] + "/+" + ci_creds.secret_key[12:]  # with '/' and '+', like many AWS-style secrets
step_env = {"PATH": os.environ.get("PATH", ""), "PY": sys.executable, "MINIO_SECRET_KEY": secret}
step = ('set -x\n'
        ': upload --secret "$MINIO_SECRET_KEY"\n'  # ':' does nothing, but set -x prints the expanded line
        'echo "$MINIO_SECRET_KEY" | base64 -w0\n'
        '"$PY" -c "import os, urllib.parse; print(urllib.parse.quote(os.environ[\'MINIO_SECRET_KEY\'], safe=\'\'))"\n'
        'echo "debug: ${MINIO_SECRET_KEY:0:20}" "${MINIO_SECRET_KEY:20}"\n')
run = subprocess.run(["bash", "-c", step], env=step_env, capture_output=True, text=True, timeout=30)
log = run.stderr + run.stdout
masked = log.replace(secret, "***")  # what CI masking does: literal matches only
forms = {"letterlijk": secret, "base64": base64.b64encode((secret + "\n").encode()).decode(),
         "URL-gecodeerd": quote(secret, safe=""), "eerste 20 tekens": secret[:20]}
print(f"{'vorm':<16}{'in de log':>10}{'na maskeren':>13}")
for name, form in forms.items():
    print(f"{name:<16}{log.count(form):>10}{masked.count(form):>13}")

# %% [markdown]
# **Conclusie:** `set -x` zet het secret 2× letterlijk in de log en het masker haalt die 2 weg, maar de base64-vorm
# (1×), de URL-gecodeerde vorm (1×) en het in tweeën geknipte secret (de eerste 20 tekens nog 2×) blijven staan.
# Dichtzetten: geen `set -x`, geen `env`/`printenv`/`print(os.environ)` in CI, en nooit een secret bewerkt (gecodeerd,
# geknipt) printen. Het masker is een vangnet, geen bescherming.
# Oefening 2 schrijft een `redact` die ook de gecodeerde en afgebroken vormen vangt.
#
# ### 3c. Tracebacks met lokale variabelen
# Een gewone traceback toont code, geen waarden. Maar `pytest -l`/`--showlocals`, sommige foutrapportagediensten en
# `traceback.TracebackException(..., capture_locals=True)` tonen ook de lokale variabelen van elke stackframe, en de
# `minio`-SDK heeft het secret in een lokale variabele staan.

# %%
try:
    server.client(wrong_secret).put_object(BUCKET, f"{PREFIX}x.bin", io.BytesIO(b"x"), 1)
except S3Error as exc:
    plain = "".join(traceback.format_exception(exc))
    with_locals = "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
print(f"gewone traceback:      {len(plain.splitlines()):>4} regels, secret {plain.count(wrong_secret.secret_key)}×")
print(f"met lokale variabelen: {len(with_locals.splitlines()):>4} regels, secret "
      f"{with_locals.count(wrong_secret.secret_key)}×")
print("\n".join(line.replace(wrong_secret.secret_key, "<HET SECRET>")[:110]
                for line in with_locals.splitlines() if wrong_secret.secret_key in line))

# %% [markdown]
# **Conclusie:** de gewone traceback bevat het secret 0×, die met lokale variabelen 1×, in een `Credentials(...)`-
# object van de SDK. Gebruik in CI geen `pytest -l`/`--showlocals` en laat foutrapportage geen locals meesturen.
#
# ### 3d. Presigned URL's zijn toegangsbewijzen
# Een presigned URL laat iedereen die hem heeft het object ophalen, tot hij verloopt (standaard 7 dagen), zonder
# verdere controle: wie de URL in een log zet, deelt toegang. Hij bevat ook de access key id van wie hem tekende.

# %%
url = server.admin_client().presigned_get_object(BUCKET, f"{PREFIX}model.safetensors")
query = dict(part.split("=", 1) for part in urlsplit(url).query.split("&"))
print(f"geldig: {int(query['X-Amz-Expires']) / 86400:.0f} dagen")
print(f"access key id van de admin in de URL: {server.admin.access_key in url}")
print(f"handtekening: {len(query['X-Amz-Signature'])} hex-tekens")

# %% [markdown]
# **Conclusie:** de URL is 7 dagen geldig en draagt de access key id van de admin. Geef presigned URL's dus een korte
# looptijd, log ze niet, en teken ze met een gebruiker die alleen mag lezen wat gedeeld wordt. (Ophalen met de URL
# werkt op een echte MinIO; de ingebouwde server weigert presigned URL's zodra authenticatie aan staat.)
#
# ### 3e. Tijdelijke credentials, en een HTTP-trace
# Kortlevende credentials (STS) beperken de schade van een lek: in CI wissel je het OIDC-token van de job in voor
# sleutels die na een kwartier verlopen (`AssumeRoleWithWebIdentity`). Naast sleutel en secret krijg je een
# *session token*. De SDK-functie `trace_on()` print elke HTTP-aanvraag; hij verbergt de handtekening, maar het
# session token niet.

# %%
temp_creds = server.temporary_credentials(ci_creds, f"ci-role-{token_hex(3)}", BUCKET, PREFIX)
client = server.client(temp_creds)
trace = io.StringIO()
client.trace_on(trace)
client.put_object(BUCKET, f"{PREFIX}sts.bin", io.BytesIO(b"sts"), 3)
client.trace_off()
print(f"tijdelijke sleutel begint met {temp_creds.access_key[:4]}, session token {len(temp_creds.session_token)} tekens")
print(f"in de trace: secret {trace.getvalue().count(temp_creds.secret_key)}×, "
      f"session token {trace.getvalue().count(temp_creds.session_token)}×, "
      f"'Signature=*REDACTED*' {trace.getvalue().count('Signature=*REDACTED*')}×")

# %% [markdown]
# **Conclusie:** met de tijdelijke sleutel lukt de upload; in de trace staat het secret 0× en de handtekening is
# verborgen, maar het session token staat er 1× volledig in, en daarmee (samen met sleutel en secret uit het geheugen
# van dezelfde job) is de sessie bruikbaar. Een session token is dus net zo geheim als het secret: geen `trace_on()` in CI.

# %% [markdown]
# ## Demo 4 — Checksum: kwam er aan wat je verstuurde?
#
# Tussen CI en MinIO zetten we een proxy die van elke upload één bit omdraait (beschadiging onderweg of iemand
# ertussen). De upload "slaagt". Alleen een vergelijking met wat de server teruggeeft laat zien dat het mis is. Voor een
# upload in één deel is de ETag die de server teruggeeft de MD5 van de inhoud die hij opsloeg.

# %%
try:
    with TamperingProxy(server.url) as proxy:
        tampered_client = Minio(urlsplit(proxy.url).netloc, access_key=ci_creds.access_key,
                                secret_key=ci_creds.secret_key, secure=False, region=server.region)
        result = tampered_client.put_object(BUCKET, f"{PREFIX}tampered.bin", io.BytesIO(data), len(data),
                                            metadata={"sha256": sha256})
except S3Error as exc:  # a real MinIO checks the signed payload hash itself and refuses
    print(f"de server weigerde de beschadigde upload zelf: {exc.code}")
else:
    stored_bytes = server.admin_client().get_object(BUCKET, f"{PREFIX}tampered.bin").read()
    print(f"MD5 van ons bestand:  {hashlib.md5(data).hexdigest()}")
    print(f"ETag van de server:   {result.etag}")
    print(f"sha256 in metadata:   {sha256[:32]}…")
    print(f"sha256 van opgeslagen {hashlib.sha256(stored_bytes).hexdigest()[:32]}…  (verschillende bytes: "
          f"{sum(a != b for a, b in zip(data, stored_bytes))})")

# %% [markdown]
# **Conclusie:** de upload gaf geen fout, maar de ETag wijkt af van de MD5 van ons bestand, en de opgeslagen bytes
# verschillen op 1 plaats van het origineel. De sha256 in de metadata laat latere lezers dat ook zien. Een echte MinIO
# controleert over `http` de ondertekende hash van de inhoud (`x-amz-content-sha256`) en weigert zo'n upload dan al zelf
# (op de ingebouwde server zie je dat niet); over `https` stuurt de SDK die hash niet altijd mee. MinIO controleert ook
# een meegestuurde checksum (`x-amz-checksum-sha256`, zoals `aws s3api put-object
# --checksum-algorithm SHA256` in de CI-voorbeelden doet) en weigert dan de upload; de ingebouwde server doet dat niet.

# %% [markdown]
# ## De CI-bestanden
#
# In de map `ci/` van de repository staan drie echte bestanden, die de tests van de repository parsen en controleren
# (geldige YAML, geen letterlijk secret, geen `set -x`, geen `--showlocals`):
#
# - `ci/github-actions-upload.yml`: een GitHub Actions-workflow. Met `permissions: id-token: write` vraagt de job een
#   OIDC-token, ruilt dat bij MinIO in voor sleutels die 900 s geldig zijn (`AssumeRoleWithWebIdentity`), maskeert ze
#   met `::add-mask::` en uploadt met `aws s3api put-object --checksum-algorithm SHA256 --metadata
#   sha256=…,git-commit=…`. Zonder OIDC valt hij terug op repository-secrets van een beschermde *environment*.
# - `ci/gitlab-ci-upload.yml`: dezelfde job voor GitLab, met `id_tokens:` en gemaskeerde, beschermde CI/CD-variabelen.
# - `ci/policy-ci-upload.json`: de policy van de CI-gebruiker of -rol, dezelfde als `ci_policy("models", "models/ci/")`.

# %%
if root is not None:
    on_disk = json.loads((root / "ci" / "policy-ci-upload.json").read_text(encoding="utf-8"))
    print("ci/policy-ci-upload.json == ci_policy('models', 'models/ci/'):", on_disk == ci_policy(BUCKET, PREFIX))
    print("regels met 'set -x' in ci/*.yml:",
          sum(line.strip().startswith("set -x") for p in (root / "ci").glob("*.yml")
              for line in p.read_text(encoding="utf-8").splitlines()))

# %% [markdown]
# ## Het antwoordmodel, punt voor punt
#
# > *Antwoordmodel:* "gebruik CI secrets (environment variables), gebruik ephemeral credentials, upload artifact met
# > authenticated step, verwijder lokale secrets uit logs, en beperk bucket policy."
#
# | punt | oordeel | bewijs |
# |---|---|---|
# | CI secrets als environment variables | **klopt, maar onvolledig**: maskeren vangt alleen letterlijke waarden; `set -x`, `env`, gecodeerde of gesneden vormen lekken toch. Secrets horen in een beschermde omgeving (alleen `main`). | Demo 3b |
# | ephemeral credentials | **klopt**: STS-sleutels uit het OIDC-token van de job, 15 minuten geldig; maar het session token is zelf ook geheim. | Demo 3e |
# | "upload met authenticated step" | **onvolledig**: elke S3-upload is geauthenticeerd; waar het om gaat is *met wie* (een eigen CI-identiteit, niet de admin) en of er aankwam wat je stuurde (checksum). | Demo 1, 2 en 4 |
# | "verwijder lokale secrets uit logs" | **fout als aanpak**: een log is al gekopieerd en bewaard als je hem opruimt. Voorkom dat secrets erin komen (geen `set -x`, geen `--showlocals`, geen `trace_on()`) en redigeer wat je zelf logt; een gelekt secret trek je in. | Demo 3b, 3c, 3e |
# | "beperk bucket policy" | **onvolledig**: de beperking hoort op de CI-*gebruiker of -rol* (alleen `s3:PutObject` onder één prefix); een bucket policy regelt vooral anonieme toegang. | Demo 1 |
# | ontbreekt | geen sleutels in code (scan), checksum en commit als metadata, presigned URL's als toegangsbewijs, `region=` vastzetten | Demo 2, 3a, 3d, 4 |

# %% [markdown]
# ## Oefeningen
#
# De cel hieronder (vergrendeld) maakt een eigen bucket en CI-gebruiker voor de tests, en hulpfuncties die alles
# opvangen wat je code print of logt. Je hoeft er niets aan te doen.

# %% nbgrader={"grade_id": "test_fixtures", "locked": true}
import inspect
import time

from mlinfra.grading import assert_dutch

GRADING_BUCKET = f"grading-{token_hex(4)}"
server.create_bucket(GRADING_BUCKET)
grader_creds = server.create_ci_user(f"grader-{token_hex(3)}", GRADING_BUCKET, PREFIX)
grader_temp = server.temporary_credentials(grader_creds, f"grader-role-{token_hex(3)}", GRADING_BUCKET, PREFIX)
ENV_NAMES = ("MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_SESSION_TOKEN", "MINIO_REGION")


def make_artifact(name: str, size: int, seed: int) -> Path:
    """A file of ``size`` random bytes in a fresh folder."""
    path = Path(tempfile.mkdtemp(dir=workdir)) / name
    path.write_bytes(np.random.default_rng(seed).bytes(size))
    return path


@contextlib.contextmanager
def ci_env(creds: Credentials | None = None, url: str | None = None, **overrides: str | None):
    """Set the MINIO_* variables a CI job would set for ``creds`` (None in overrides removes one); restore after."""
    saved = {name: os.environ.pop(name, None) for name in ENV_NAMES}
    values = (creds or grader_creds).as_env(url or server.url, server.region)
    values.update(overrides)
    os.environ.update({k: v for k, v in values.items() if v is not None})
    try:
        yield values
    finally:
        for name in ENV_NAMES:
            os.environ.pop(name, None)
        os.environ.update({k: v for k, v in saved.items() if v is not None})


def attempt(*args, **kwargs):
    """Call upload_artifact; return (result, None) or (None, the exception it raised)."""
    try:
        return upload_artifact(*args, **kwargs), None
    except NotImplementedError:
        raise  # the untouched stub: not an answer
    except Exception as exc:  # noqa: BLE001 - the tests inspect the exception
        return None, exc


@contextlib.contextmanager
def capture_everything():
    """Capture stdout, stderr, warnings and every log record (DEBUG and up) of the block into ``box['text']``."""
    out, err, records = io.StringIO(), io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    box: dict[str, str] = {}
    try:
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            warnings.simplefilter("always")
            yield box
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(old_level)
        box["text"] = "\n".join([out.getvalue(), err.getvalue(), records.getvalue(),
                                 *(str(w.message) for w in caught)])


def exception_text(exc: BaseException | None) -> str:
    """Everything a plain traceback of ``exc`` shows (message, repr, chained causes; no local variables)."""
    if exc is None:
        return ""
    return repr(exc) + "\n" + "".join(traceback.format_exception(exc))


def leaked(text: str, values: dict) -> list[str]:
    """What of the secret values in ``values`` shows in ``text``: 8+ characters in a row, base64, a presigned URL."""
    found = []
    for name in ("MINIO_SECRET_KEY", "MINIO_SESSION_TOKEN"):
        value = values.get(name) or ""
        if value and (any(value[i:i + 8] in text for i in range(len(value) - 7))
                      or base64.b64encode(value.encode()).decode() in text):
            found.append(name)
    if "X-Amz-Signature=" in text or "X-Amz-Credential=" in text:
        found.append("een presigned URL")
    return found


def scanned_files() -> dict[Path, tuple[int, int]]:
    """The files in the working folder (or one folder deeper) and in the temp folder: path → (mtime in ns, size)."""
    files = {}
    for folder, pattern in ((Path.cwd(), "*"), (Path.cwd(), "*/*"), (Path(tempfile.gettempdir()), "*")):
        for p in folder.glob(pattern):
            with contextlib.suppress(OSError):
                info = p.stat()
                if p.is_file():
                    files[p] = (info.st_mtime_ns, info.st_size)
    return files


def files_leaking(before: dict[Path, tuple[int, int]], values: dict) -> list[str]:
    """Files of scanned_files() that are new or changed since the snapshot ``before`` and leak a secret."""
    found = []
    for p, stamp in scanned_files().items():
        if before.get(p) != stamp and stamp[1] <= 4 * 2**20:
            with contextlib.suppress(OSError):
                if leaked(p.read_bytes().decode("utf-8", "replace"), values):
                    found.append(p.name)
    return found


def stored(bucket: str, key: str) -> tuple[bytes, dict]:
    """What the server holds at bucket/key (read as admin): the bytes and the user metadata."""
    admin = server.admin_client()
    meta = {k.lower(): v for k, v in admin.stat_object(bucket, key).metadata.items()}
    return admin.get_object(bucket, key).read(), meta

# %% [markdown]
# ### Oefening 1 — `upload_artifact` (8 punten)
#
# Schrijf `upload_artifact(path, bucket, key)` die het bestand `path` uploadt naar `bucket` onder de naam `key`, zoals
# een CI-job dat doet, met de `minio`-SDK.
#
# - **Credentials alleen uit omgevingsvariabelen**, gelezen op het moment van de aanroep: `MINIO_ENDPOINT` (een URL
#   zoals `http://127.0.0.1:9000`; `https://` betekent `secure=True`; `Minio()` zelf wil alleen `host:poort`),
#   `MINIO_ACCESS_KEY`, `MINIO_SECRET_KEY`, optioneel `MINIO_SESSION_TOKEN` (tijdelijke credentials) en optioneel
#   `MINIO_REGION` (standaard `"us-east-1"`; geef hem altijd mee als `region=`, zie Demo 2). Een optionele variabele
#   die leeg is telt als niet gezet (zo zet een CI-systeem een variabele die niet bestaat). Geen sleutels in je code en
#   geen andere credentials uit dit notebook. Roep je de functie opnieuw aan met andere waarden in de omgeving, dan
#   gelden die nieuwe waarden.
# - Ontbreekt `MINIO_ENDPOINT`, `MINIO_ACCESS_KEY` of `MINIO_SECRET_KEY`, of is hij leeg: gooi een `RuntimeError` met
#   een Nederlandse melding die de **naam** van de variabele noemt en geen enkele waarde.
# - Bestaat `path` niet of is het geen bestand: `FileNotFoundError`. Is `bucket` of `key` geen niet-lege string:
#   `ValueError`. In beide gevallen wordt er niets geüpload. Verder controleer je bucket en key niet zelf (geen vaste
#   bucket of prefix): wat de server toestaat, moet lukken. Staat er al een object onder `key`, dan vervangt je upload
#   het; sla een upload nooit over omdat je die key al eens gebruikte.
# - Elke fout die je **zelf** gooit heeft een Nederlandse melding die zegt wat er mis is (geef dus niet de Engelse
#   melding van Python door, en schrijf zelf ook geen Engelse).
# - Sla de sha256 van de inhoud (hex, kleine letters) op als metadata met de naam `sha256` (de server bewaart dat als
#   `x-amz-meta-sha256`).
# - **Controleer na de upload** of de server precies jouw bytes heeft opgeslagen. De CI-gebruiker mag niet lezen
#   (Demo 1), dus gebruik wat de upload teruggeeft: bij een upload in één deel is de ETag de MD5 (hex) van de inhoud.
#   De tests gebruiken bestanden kleiner dan 5 MiB. Wijkt het af: gooi een `RuntimeError` (geen `assert`: die verdwijnt
#   met `python -O`; de melding is Nederlands).
# - Weigert de server de upload (verkeerd secret, geen recht), laat dan een exceptie door (die van de SDK of een eigen);
#   geef **nooit** stilletjes `None` terug.
# - **Niets geheims naar buiten**: de waarden van `MINIO_SECRET_KEY` en `MINIO_SESSION_TOKEN` mogen niet op stdout of
#   stderr komen, niet in `logging` (ook niet op DEBUG-niveau), niet in een waarschuwing, niet in de tekst van een
#   exceptie, niet in de metadata van het object en niet in een bestand (ook geen logbestand), ook niet als de upload
#   mislukt. Ook niet gecodeerd (URL-gecodeerd zoals `quote()` het maakt, of base64) en ook geen stuk ervan van 8 of
#   meer tekens. Print of log geen presigned URL (Demo 3d: die is zelf een toegangsbewijs en draagt het session token),
#   zet geen `trace_on()` aan (Demo 3e) en verander `os.environ` niet (zet er bv. geen `AWS_*`-variabelen in: elk later
#   proces van de CI-job erft ze).
# - Geef een dict terug: `{"etag": <ETag zonder aanhalingstekens>, "version_id": <str of None>, "sha256": <hex>}`.
#
# De tests zetten de omgevingsvariabelen voor een CI-gebruiker die alleen `s3:PutObject` onder `models/ci/` in een
# eigen bucket mag, en vangen alles op wat je functie print of logt.

# %% nbgrader={"grade_id": "upload_artifact", "solution": true}
def upload_artifact(path, bucket: str, key: str) -> dict:
    """Upload ``path`` to ``bucket/key`` with CI credentials from the environment, sha256 metadata and a check."""
    ### BEGIN SOLUTION
    config = {}
    for name in ("MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"):
        config[name] = os.environ.get(name, "")
        if not config[name]:
            raise RuntimeError(f"omgevingsvariabele {name} ontbreekt of is leeg; zet hem als (gemaskeerd) CI-secret")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"artifact niet gevonden of geen bestand: {path}")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise ValueError("bucket en key moeten niet-lege strings zijn")
    endpoint = urlsplit(config["MINIO_ENDPOINT"])
    if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
        raise RuntimeError("MINIO_ENDPOINT moet een URL zijn zoals http://127.0.0.1:9000")
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    client = Minio(endpoint.netloc, access_key=config["MINIO_ACCESS_KEY"], secret_key=config["MINIO_SECRET_KEY"],
                   session_token=os.environ.get("MINIO_SESSION_TOKEN") or None, secure=endpoint.scheme == "https",
                   region=os.environ.get("MINIO_REGION") or "us-east-1")
    result = client.put_object(bucket, key, io.BytesIO(data), len(data), metadata={"sha256": sha256})
    if result.etag != hashlib.md5(data, usedforsecurity=False).hexdigest():
        raise RuntimeError(f"de server heeft andere bytes opgeslagen dan {path.name} (ETag {result.etag})")
    return {"etag": result.etag, "version_id": result.version_id, "sha256": sha256}
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_upload_artifact_stores_file_with_sha256", "grade": true, "points": 2}
"""Checks that upload_artifact stores the exact bytes with sha256 metadata and returns etag, version_id and sha256."""
with quiet():
    path = make_artifact("model.pt", 20_000, seed=1)
    key = f"{PREFIX}visible/model.pt"
    with ci_env():
        result, exc = attempt(path, GRADING_BUCKET, key)
    assert exc is None, (f"De upload met de CI-gebruiker uit de omgeving mislukte: {type(exc).__name__}: {exc}. "
                         "Tip: lees je alle MINIO_*-variabelen, en geef je region= mee?")
    body, meta = stored(GRADING_BUCKET, key)
    assert body == path.read_bytes(), "De server heeft niet precies de bytes van het bestand opgeslagen."
    assert meta.get("x-amz-meta-sha256") == hashlib.sha256(body).hexdigest(), (
        "Metadata 'sha256' ontbreekt of klopt niet. Tip: de hex-digest van de inhoud, in kleine letters.")
    assert isinstance(result, dict) and set(result) == {"etag", "version_id", "sha256"}, (
        "Verwacht een dict met precies de sleutels etag, version_id en sha256.")
    assert result["etag"] == hashlib.md5(body).hexdigest() and result["sha256"] == meta["x-amz-meta-sha256"], (
        "etag of sha256 in het resultaat klopt niet (etag zonder aanhalingstekens).")
    ### BEGIN HIDDEN TESTS
    # Read at call time: a second CI user for another bucket, an empty file, a key with spaces, a str path.
    other_bucket = f"grading-{token_hex(4)}"
    server.create_bucket(other_bucket)
    other = server.create_ci_user(f"grader-{token_hex(3)}", other_bucket, "runs/")
    for p, bucket, k, creds in [(make_artifact("empty.bin", 0, seed=2), GRADING_BUCKET, f"{PREFIX}run 7/empty.bin",
                                 grader_creds),
                                (make_artifact("m.onnx", 70_001, seed=3), other_bucket, "runs/m.onnx", other),
                                (make_artifact("sts.pt", 3000, seed=9), GRADING_BUCKET, f"{PREFIX}sts.pt", grader_temp)]:
        with ci_env(creds):
            result, exc = attempt(str(p), bucket, k)
        assert exc is None, f"upload van {p.name} naar {bucket} mislukte: {type(exc).__name__}: {exc}"
        body, meta = stored(bucket, k)
        assert body == p.read_bytes() and meta.get("x-amz-meta-sha256") == hashlib.sha256(body).hexdigest(), (
            f"{p.name}: opgeslagen bytes of sha256-metadata kloppen niet")
        assert result == {"etag": hashlib.md5(body).hexdigest(), "version_id": result["version_id"],
                          "sha256": hashlib.sha256(body).hexdigest()}, f"{p.name}: het teruggegeven dict klopt niet"
        assert result["version_id"] is None or isinstance(result["version_id"], str), "version_id: str of None"
    # Empty optional variables count as unset; a second upload to the same key in the same job replaces the first.
    first, second = make_artifact("v1.pt", 1500, seed=10), make_artifact("v2.pt", 1500, seed=11)
    with ci_env(MINIO_REGION="", MINIO_SESSION_TOKEN=""):
        results = [attempt(p, GRADING_BUCKET, f"{PREFIX}same.pt") for p in (first, second)]
    assert all(exc is None for _, exc in results), (
        f"Met een lege MINIO_REGION en MINIO_SESSION_TOKEN mislukten twee uploads na elkaar: {results}")
    assert stored(GRADING_BUCKET, f"{PREFIX}same.pt")[0] == second.read_bytes() and results[1][0]["etag"] == (
        hashlib.md5(second.read_bytes()).hexdigest()), "de tweede upload onder dezelfde key is niet opgeslagen"
    # https:// means secure=True: the client's arguments are checked, no connection is made.
    real_init, seen_secure = Minio.__init__, []

    def spy_init(self, *args, **kwargs):
        seen_secure.append(inspect.signature(real_init).bind(self, *args, **kwargs).arguments.get("secure", True))
        raise ConnectionAbortedError("test: geen verbinding")

    Minio.__init__ = spy_init
    try:
        with ci_env(url="https://127.0.0.1:9"):
            attempt(first, GRADING_BUCKET, f"{PREFIX}tls.pt")
    finally:
        Minio.__init__ = real_init
    assert seen_secure and all(flag is True for flag in seen_secure), (
        "Met MINIO_ENDPOINT=https://… moet de client versleuteld verbinden (secure=True).")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_upload_artifact_names_missing_variable", "grade": true, "points": 1}
"""Checks that a missing or empty MINIO_* variable gives a RuntimeError naming the variable and no value."""
with quiet():
    path = make_artifact("model.pt", 1000, seed=4)
    with ci_env():
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}present.pt")
    assert exc is None, f"Met alle variabelen gezet moet de upload lukken, maar: {type(exc).__name__}: {exc}"
    with ci_env(MINIO_SECRET_KEY=None) as values:
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}missing.pt")
    assert isinstance(exc, RuntimeError), (
        f"Zonder MINIO_SECRET_KEY verwacht een RuntimeError, kreeg {type(exc).__name__ if exc else result!r}. "
        "Tip: controleer de variabelen voordat je iets anders doet.")
    assert "MINIO_SECRET_KEY" in str(exc), "De melding moet de naam van de ontbrekende variabele noemen."
    assert_dutch(exc, "een ontbrekende MINIO_SECRET_KEY")
    assert values["MINIO_ACCESS_KEY"] not in exception_text(exc), "De melding mag geen waarden bevatten."
    ### BEGIN HIDDEN TESTS
    for name in ENV_NAMES[:3]:
        for missing in (None, ""):
            with ci_env(**{name: missing}) as values:
                result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}missing.pt")
            assert isinstance(exc, RuntimeError) and name in str(exc), (
                f"{name} ontbreekt of is leeg ({missing!r}): verwacht een RuntimeError die {name} noemt, kreeg {exc!r}")
            assert_dutch(exc, f"een ontbrekende {name}")
            text = exception_text(exc)
            assert not any(v and v in text for k, v in values.items() if k != "MINIO_REGION"), (
                f"De melding bij een ontbrekende {name} bevat de waarde van een variabele.")
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_upload_artifact_raises_when_refused", "grade": true, "points": 1}
"""Checks that an upload the server refuses (no permission, wrong secret) raises instead of returning."""
with quiet():
    path = make_artifact("model.pt", 1000, seed=5)
    with ci_env():
        allowed, allowed_exc = attempt(path, GRADING_BUCKET, f"{PREFIX}allowed.pt")
        result, exc = attempt(path, GRADING_BUCKET, "models/prod/model.pt")
    assert allowed_exc is None, (
        f"Een toegestane upload (onder {PREFIX}) mislukte: {type(allowed_exc).__name__}: {allowed_exc}")
    assert exc is not None, (
        f"Uploaden buiten models/ci/ moet mislukken met een exceptie, maar upload_artifact gaf {result!r} terug. "
        "Tip: vang je fouten af? En gebruik je echt de credentials uit de omgeving?")
    ### BEGIN HIDDEN TESTS
    bad = Credentials(grader_creds.access_key, grader_creds.secret_key[:-3] + "Zz9")
    for creds, bucket, k in [(bad, GRADING_BUCKET, f"{PREFIX}wrong-secret.pt"),
                             (Credentials("AKIA" + "NOSUCHUSER" + "ABCDEF", "x" * 40), GRADING_BUCKET, f"{PREFIX}u.pt"),
                             (grader_creds, "datasets", f"{PREFIX}model.pt")]:
        with ci_env(creds):
            result, exc = attempt(path, bucket, k)
        assert exc is not None and result is None, f"upload naar {bucket}/{k} had geweigerd moeten worden"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_upload_artifact_detects_corruption", "grade": true, "points": 1}
"""Checks that upload_artifact raises a RuntimeError when the server stored other bytes than the file holds."""
with quiet():
    path = make_artifact("model.pt", 5000, seed=6)
    with TamperingProxy(server.url) as proxy, ci_env(url=proxy.url):
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}tampered.pt")
    assert proxy.tampered >= 1, "De upload ging niet via MINIO_ENDPOINT. Tip: gebruik de endpoint uit de omgeving."
    server_refused = server.kind == "minio" and isinstance(exc, S3Error)  # a real MinIO checks the payload hash
    assert isinstance(exc, RuntimeError) or server_refused, (
        f"Onderweg is één bit van de upload veranderd; verwacht een RuntimeError, kreeg "
        f"{type(exc).__name__ if exc else repr(result)}. Tip: vergelijk wat de upload teruggeeft met je eigen bytes.")
    if isinstance(exc, RuntimeError):
        assert_dutch(exc, "een beschadigde upload")
    ### BEGIN HIDDEN TESTS
    path = make_artifact("big.pt", 300_000, seed=16)
    with TamperingProxy(server.url) as proxy, ci_env(url=proxy.url):
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}tampered-big.pt")
    assert proxy.tampered >= 1 and (isinstance(exc, RuntimeError) or server.kind == "minio" and isinstance(
        exc, S3Error)), f"beschadigde upload niet opgemerkt: {exc!r}"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_upload_artifact_leaks_no_secret", "grade": true, "points": 2}
"""Checks that no secret value reaches stdout, stderr, logging (DEBUG), warnings or exception text."""
with quiet():
    path = make_artifact("model.pt", 2000, seed=7)
    with ci_env() as values, capture_everything() as box:
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}quiet.pt")
        refused, refused_exc = attempt(path, GRADING_BUCKET, "models/prod/quiet.pt")
    seen = box["text"] + exception_text(exc) + exception_text(refused_exc)
    assert exc is None, f"Een toegestane upload (onder {PREFIX}) mislukte: {type(exc).__name__}: {exc}"
    assert not leaked(seen, values), (
        f"In de uitvoer, de logging of een foutmelding staat {' en '.join(leaked(seen, values))} (of een stuk of "
        "gecodeerde vorm ervan). Tip: print of log nooit de configuratie.")
    ### BEGIN HIDDEN TESTS
    before_files = scanned_files()  # a snapshot: this notebook's own file is no leak
    assert not leaked(json.dumps(stored(GRADING_BUCKET, f"{PREFIX}quiet.pt")[1]), values), (
        "een secret staat in de metadata van het object")
    wrong = Credentials(grader_creds.access_key, grader_creds.secret_key[:-3] + "Qq7")
    runs = [(grader_temp, server.url, f"{PREFIX}sts-quiet.pt", {}), (wrong, server.url, f"{PREFIX}wrong.pt", {}),
            (grader_creds, server.url, "models/prod/denied.pt", {}),
            (grader_creds, server.url, f"{PREFIX}noregion.pt", {"MINIO_ENDPOINT": None})]
    for creds, url, k, overrides in runs:
        with ci_env(creds, url, **overrides) as values, capture_everything() as box:
            before = dict(os.environ)
            result, exc = attempt(path, GRADING_BUCKET, k)
            changed = sorted(n for n in {*before, *os.environ} if before.get(n) != os.environ.get(n))
        assert not leaked(box["text"] + exception_text(exc), values), (
            f"{' en '.join(leaked(box['text'] + exception_text(exc), values))} in de uitvoer ({k})")
        assert not changed, f"upload_artifact veranderde os.environ ({', '.join(changed)}); laat de omgeving met rust"
        with contextlib.suppress(S3Error):  # only an upload that reached the server has metadata
            meta = stored(GRADING_BUCKET, k)[1]
            assert not leaked(json.dumps(meta), values), f"een secret staat in de metadata van het object ({k})"
        assert not files_leaking(before_files, values), (
            f"een secret staat in een bestand: {files_leaking(before_files, values)}")
    with TamperingProxy(server.url) as proxy, ci_env(url=proxy.url) as values, capture_everything() as box:
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}tampered-quiet.pt")
    assert not leaked(box["text"] + exception_text(exc), values), "secret in de uitvoer na beschadiging"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_upload_artifact_rejects_bad_input", "grade": true, "points": 1}
"""Checks FileNotFoundError for a missing file and ValueError for an empty bucket or key, before any upload."""
with quiet():
    with ci_env():
        result, exc = attempt(workdir / "does-not-exist.pt", GRADING_BUCKET, f"{PREFIX}nothing.pt")
    assert isinstance(exc, FileNotFoundError), (
        f"Een bestand dat niet bestaat moet FileNotFoundError geven, kreeg {type(exc).__name__ if exc else result!r}.")
    assert_dutch(exc, "een bestand dat niet bestaat")
    ### BEGIN HIDDEN TESTS
    path = make_artifact("model.pt", 100, seed=8)
    with ci_env():
        result, exc = attempt(path, GRADING_BUCKET, f"{PREFIX}good-input.pt")
        assert exc is None, f"een geldige upload mislukte: {exc!r}"
        result, exc = attempt(path.parent, GRADING_BUCKET, f"{PREFIX}dir.pt")
        assert isinstance(exc, FileNotFoundError), f"een map als path: verwacht FileNotFoundError, kreeg {exc!r}"
        assert_dutch(exc, "een map als path")
        for bucket, k in [("", f"{PREFIX}a.pt"), (GRADING_BUCKET, ""), (GRADING_BUCKET, None), (None, "x")]:
            result, exc = attempt(path, bucket, k)
            assert isinstance(exc, ValueError), f"bucket={bucket!r}, key={k!r}: verwacht een ValueError, kreeg {exc!r}"
            assert_dutch(exc, f"bucket={bucket!r}, key={k!r}")
    ### END HIDDEN TESTS

# %% [markdown]
# ### Oefening 2 — `redact` voor logregels (4 punten)
#
# Schrijf `redact(text, secrets)` die elke geheime waarde in `text` vervangt door `***`, ook waar een CI-masker het
# mist (Demo 3b).
#
# - `secrets` is een lijst (of tuple of set) van strings. Lege strings sla je over. Is `secrets` zelf een losse string
#   (een veelgemaakte vergissing: dan zou je elk teken apart redigeren), of bevat hij iets anders dan strings, of is
#   `text` geen string: gooi een `TypeError` met een Nederlandse melding.
# - Vervang **elk** voorkomen volledig, ook als het secret tekens bevat die in een reguliere expressie iets betekenen
#   (`+`, `/`, `.`, …). Overlappen twee secrets (het ene is een stuk van het andere), dan gaat het langste voor: er mag
#   van geen van beide iets overblijven.
# - Vang ook de URL-gecodeerde vormen: wat `quote(s)`, `quote(s, safe="")` en `quote_plus(s)` uit `urllib.parse` van
#   het secret maken.
# - Vang ook een secret (of een URL-gecodeerde vorm) dat over twee regels is afgebroken: ergens midden in staat één
#   regeleinde `"\n"`, de rest volgt direct aan het begin van de volgende regel. Vervang dan het hele stuk, inclusief
#   dat regeleinde, door `***`.
# - Alle andere tekst blijft precies zoals hij was.

# %% nbgrader={"grade_id": "redact", "solution": true}
def redact(text: str, secrets) -> str:
    """Replace every occurrence of every secret in ``text`` (also URL-encoded or split by one newline) by ***."""
    ### BEGIN SOLUTION
    if not isinstance(text, str):
        raise TypeError(f"text moet een str zijn, niet {type(text).__name__}")
    if isinstance(secrets, (str, bytes)):
        raise TypeError("secrets moet een lijst van strings zijn, geen losse string")
    secrets = list(secrets)
    if not all(isinstance(s, str) for s in secrets):
        raise TypeError("secrets mag alleen strings bevatten")
    forms = {form for s in secrets if s for form in (s, quote(s), quote(s, safe=""), quote_plus(s))}
    if not forms:
        return text
    patterns = ["\n?".join(re.escape(ch) for ch in form) for form in sorted(forms, key=len, reverse=True)]
    return re.sub("|".join(patterns), "***", text)
    ### END SOLUTION

# %% nbgrader={"grade_id": "test_redact_replaces_every_occurrence", "grade": true, "points": 1}
"""Checks that redact replaces every literal occurrence of every secret, and leaves the rest of the text alone."""
with quiet():
    got = redact("key=AKIA123 secret=s3cr3t+x/y.z again s3cr3t+x/y.z", ["s3cr3t+x/y.z"])
    assert got == "key=AKIA123 secret=*** again ***", (
        f"Kreeg {got!r}. Tip: elk voorkomen, en tekens als '+' en '.' betekenen iets in een reguliere expressie.")
    ### BEGIN HIDDEN TESTS
    assert redact("a.c abc", ["a.c"]) == "*** abc", "'.' in een secret is een gewone punt"
    assert redact("token=abcdef; id=abc", ["abc", "abcdef"]) == "token=***; id=***", "het langste secret gaat voor"
    assert redact("x=[q]+(w)*|\\d", ["[q]+(w)*|\\d", ""]) == "x=***", "regex-tekens in een secret zijn gewone tekens"
    assert redact("niets geheims\n", ["", "zzz"]) == "niets geheims\n", "lege secrets sla je over"
    assert redact("AB AB", ("AB",)) == "*** ***" and redact("AB", {"AB"}) == "***", "ook een tuple of set"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_redact_url_encoded", "grade": true, "points": 1}
"""Checks that redact also replaces the URL-encoded forms of a secret (quote and quote_plus)."""
with quiet():
    secret = "wJal/rXUt+nFEMI=K7"  # pragma: allowlist secret
    line = f"GET /upload?secret={quote(secret, safe='')}&x=1 HTTP/1.1"
    got = redact(line, [secret])
    assert got == "GET /upload?secret=***&x=1 HTTP/1.1", (
        f"Kreeg {got!r}. Tip: hoe ziet het secret eruit nadat urllib.parse.quote het in een URL heeft gezet?")
    ### BEGIN HIDDEN TESTS
    secret = "ab/cd+ef gh=="  # pragma: allowlist secret
    line = f"1 {secret} 2 {quote(secret)} 3 {quote(secret, safe='')} 4 {quote_plus(secret)} 5"
    assert redact(line, [secret]) == "1 *** 2 *** 3 *** 4 *** 5", f"niet alle vormen vervangen: {redact(line, [secret])!r}"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_redact_split_over_two_lines", "grade": true, "points": 1}
"""Checks that redact replaces a secret broken over two lines by one newline, newline included."""
with quiet():
    secret = "Zq8+PfT3/kLmN0wXy"  # pragma: allowlist secret
    text = f"INFO upload key={secret[:7]}\n{secret[7:]} done\nINFO next line"
    got = redact(text, [secret])
    assert got == "INFO upload key=*** done\nINFO next line", (
        f"Kreeg {got!r}. Tip: het secret kan overal door één '\\n' onderbroken zijn; vervang het hele stuk.")
    ### BEGIN HIDDEN TESTS
    for cut in (1, len(secret) - 1):
        assert redact(f"[{secret[:cut]}\n{secret[cut:]}]", [secret]) == "[***]", f"afgebroken na {cut} teken(s)"
    enc = quote(secret, safe="")
    assert redact(f"url={enc[:4]}\n{enc[4:]}&ok", [secret]) == "url=***&ok", "afgebroken URL-gecodeerde vorm"
    assert redact(f"{secret}\n{secret}", [secret]) == "***\n***", "twee secrets op twee regels: regeleinde blijft"
    ### END HIDDEN TESTS

# %% nbgrader={"grade_id": "test_redact_rejects_bad_input", "grade": true, "points": 1}
"""Checks that redact raises a TypeError with a Dutch message for a bare string, a non-string secret or non-str text."""
with quiet():
    assert redact("abc", ["b"]) == "a***c", "Met geldige invoer moet redact gewoon redigeren."
    try:
        got = redact("my secret is hunter2", "hunter2")
    except TypeError as exc:
        assert_dutch(exc, "redact(text, 'hunter2')")
    else:
        raise AssertionError(f"redact(text, 'hunter2') gaf {got!r}; verwacht een TypeError. Tip: een losse string "
                             "is ook een reeks (van tekens).")
    ### BEGIN HIDDEN TESTS
    for bad_text, bad_secrets in [(b"bytes", ["x"]), (None, ["x"]), ("tekst", ["x", None]), ("tekst", [b"x"])]:
        try:
            redact(bad_text, bad_secrets)
        except TypeError as exc:
            assert_dutch(exc, f"redact({bad_text!r}, {bad_secrets!r})")
        else:
            raise AssertionError(f"redact({bad_text!r}, {bad_secrets!r}) gaf geen TypeError")
    ### END HIDDEN TESTS

# %% [markdown]
# ## Schriftelijk antwoord (4 punten, handmatig nagekeken)
#
# Beschrijf stap voor stap hoe je een model artifact vanuit CI veilig naar MinIO uploadt zonder credentials te lekken.
# Noem wie welke rechten krijgt, waar de credentials vandaan komen en hoe lang ze geldig zijn, hoe je controleert dat
# de upload klopt, en welke lekken je voorkomt (met hoe).

# %% [markdown] nbgrader={"grade_id": "written_answer", "solution": true, "grade": true, "points": 4}
# ### BEGIN SOLUTION
# **Modelantwoord (voor de docent).** Een volledig antwoord noemt:
# 1. *Least privilege:* een eigen CI-identiteit (gebruiker of rol), niet de admin/root, met een policy die alleen
#    `s3:PutObject` op `bucket/prefix/*` toestaat: geen lezen, opsommen, verwijderen, andere prefixen of buckets.
# 2. *Credentials:* bij voorkeur kortlevend via STS (`AssumeRoleWithWebIdentity` met het OIDC-token van de job,
#    ~15 minuten); anders sleutels als gemaskeerde, beschermde CI-secrets (alleen beschermde branches/environments), als
#    omgevingsvariabelen aan de ene stap die ze nodig heeft; nooit in code of repository (secret-scan in pre-commit en
#    CI); roteren en bij een lek intrekken.
# 3. *Integriteit en herkomst:* sha256 (en git-commit) als metadata; checksum meesturen die de server controleert
#    en/of ETag vergelijken; de CI-gebruiker kan niet teruglezen; `region` vastzetten.
# 4. *Lekken voorkomen:* geen `set -x`, `env`/`print(os.environ)`, `--showlocals`/locals in foutrapporten, HTTP-traces
#    (`trace_on`, die het session token toont) of presigned URL's in logs; maskeren vangt alleen letterlijke waarden, dus
#    zelf redigeren (ook URL-gecodeerd/afgebroken); foutmeldingen noemen namen van variabelen, geen waarden.
#
# Puntentoekenning: 1 punt per onderdeel; bij 2 en 4 is het punt alleen voor een antwoord dat meer zegt dan het
# antwoordmodel (bv. OIDC/STS of de grens van maskeren).
# ### END SOLUTION

# %% [markdown]
# ## Samenvatting
# - Geef CI een eigen identiteit met alleen `s3:PutObject` onder één prefix; de admin-sleutel hoort niet in CI.
# - Credentials komen uit de omgeving (gemaskeerde, beschermde secrets) of, beter, uit STS met het OIDC-token van de
#   job; een session token is net zo geheim als een secret.
# - Maskeren vangt alleen de letterlijke waarde: geen `set -x`, `env`, `--showlocals`, `trace_on()` of presigned
#   URL's in logs, en redigeer zelf ook gecodeerde en afgebroken vormen.
# - Stuur een sha256 mee als metadata en controleer wat de server ontving (ETag/checksum): een upload zonder fout is
#   nog geen correcte upload.
# - Pin `region=`: anders vraagt de SDK de bucketlocatie op, en dat mag een least-privilege gebruiker niet.
#
# ## Een echte MinIO gebruiken
# Start een wegwerp-MinIO (container of binary) en zet vóór het starten van Jupyter (of van de tests) drie variabelen:
# ```bash
# export MLINFRA_MINIO_ROOT_USER=admin MLINFRA_MINIO_ROOT_PASSWORD="$(openssl rand -hex 16)"
# docker run -d --rm --name minio -p 127.0.0.1:9000:9000 -e MINIO_ROOT_USER="$MLINFRA_MINIO_ROOT_USER" \
#     -e MINIO_ROOT_PASSWORD="$MLINFRA_MINIO_ROOT_PASSWORD" quay.io/minio/minio server /data
# # of zonder container: MINIO_ROOT_USER=... MINIO_ROOT_PASSWORD=... minio server /tmp/minio-data --address 127.0.0.1:9000
# export MLINFRA_MINIO_URL=http://127.0.0.1:9000
# ```
# Het notebook en de tests maken dan buckets (`models`, `datasets`, `grading-…`), gebruikers en policies op die
# server aan in plaats van de ingebouwde server te starten, en laten hem na afloop draaien; gebruik er dus geen
# productieserver voor. Zijn de variabelen maar deels gezet, dan stopt de opzetcel met een melding welke ontbreekt.

# %% [markdown]
# ## Opruimen
# Stop de ingebouwde server en verwijder de tijdelijke bestanden (een echte MinIO blijft draaien).

# %%
server.stop()
shutil.rmtree(workdir, ignore_errors=True)
print(f"server gestopt: {not server.running or server.kind == 'minio'}")

#!/usr/bin/env python3
"""Precision and recall of Chaperone's masking detectors on the labelled corpus (issue 6),
side by side with presidio-analyzer and detect-secrets.

    python3 Benchmarks/masking-corpus/evaluate.py                  # corpus.jsonl, all tools found
    python3 Benchmarks/masking-corpus/evaluate.py --tools chaperone
    python3 Benchmarks/masking-corpus/evaluate.py --setup-venv     # pip-installs the other tools first

Writes results.json and results.md next to this file (or to --out-dir) and prints the table.

Tools
-----
* chaperone: `chaperone mask --rules Rules --format text --findings` (the built CLI,
  default `.build/debug/chaperone`, or CHAPERONE_BIN / --binary). Items are sent in batches,
  joined by `BATCH_SEPARATOR` (newline, two ASCII record separators, newline: no detector
  reads across a line break), so one process masks thousands of items. Findings report
  *byte* offsets into the whole batch (`inputRange`); they are mapped back to the item and
  converted to character offsets. A batch whose masked output does not split back into the
  same number of items (a PEM block swallowing a separator would do that) is re-run item by
  item.
* presidio-analyzer (PyPI, pattern recognizers only): run in the virtualenv given by --venv
  (default /tmp/chp-eval-venv). No spaCy model is downloaded: the NLP engine is a blank
  English spaCy tokenizer whose "lemmas" are the lower-cased tokens, so the context words
  of the pattern recognizers still raise scores; presidio's NER entities (PERSON, LOCATION, ...)
  are therefore not available and not evaluated. The predefined English recognizers are
  loaded as in a default install, plus UkNinoRecognizer and the Spanish NIF/NIE recognizers
  registered for English (they are off or Spanish-only by default). Results are taken at the
  analyzer's default score threshold (0: everything it returns); results.json also has the
  figures at score >= 0.5.
* detect-secrets (PyPI): `detect_secrets.core.scan.scan_file` on each item written to a file
  `item.txt`, with the default plugins, entropy limits and filters (what `detect-secrets scan`
  does for one file; the ad-hoc `scan --string` mode is not used because it reports every
  string regardless of the entropy limit). It reports a line and the secret string, not an
  offset: the finding's span is the first not yet used occurrence of that string in the line
  (the whole line if it cannot be found).

Matching rule
-------------
Every tool's labels are mapped to corpus entities with `ENTITY_MAP` (below). Then, per item:

* A gold span of entity E is *found* (recall) when a finding mapped to E overlaps it (at
  least one character in common). Boundaries need not agree; `exact` counts the found
  spans whose boundaries agree exactly.
* A finding mapped to E is a *true positive* (precision) when it overlaps a gold span of E.
  A finding of the catch-all GENERIC_SECRET is also a true positive when it overlaps a gold
  span of any secret entity (a catch-all masking a token the corpus labels more precisely is
  not a false alarm). Every other finding is a false positive of its mapped entity; a label
  that maps to several entities (detect-secrets' "AWS Access Key" covers key ids and secret
  keys) takes the entity of the gold span it overlaps, else its first entity.
* Findings with the same span and entity are counted once.
* precision = TP findings / findings, recall = found gold spans / gold spans,
  F1 = 2PR/(P+R); "n/a" when the denominator is 0. Micro averages sum the counts over the
  entities a tool supports.
* "masked" (type-agnostic) recall: a gold span overlapped by any finding of the tool, any
  label (including labels not in the map). This is what protects the data.
* Hard negatives: a planted look-alike is *masked* when any finding of the tool overlaps it.

Per-entity figures are only reported for the entities a tool supports (the targets of its
map); elsewhere the table shows "—".
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEFAULT_VENV = Path(os.environ.get("CHP_EVAL_VENV", "/tmp/chp-eval-venv"))
BATCH_SEPARATOR = "\n\x1e\x1e\n"
PINNED = ["presidio-analyzer==2.2.366", "detect-secrets==1.5.0"]


def _load_generate():
    spec = importlib.util.spec_from_file_location("masking_corpus_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generate()
ENTITIES: list[str] = generate.ENTITIES
SECRET_ENTITIES: set[str] = generate.SECRET_ENTITIES

# Tool label -> corpus entities it stands for (first = the entity a false positive counts against).
ENTITY_MAP: dict[str, dict[str, list[str]]] = {
    "chaperone": {e: [e] for e in ENTITIES},
    "presidio": {
        "EMAIL_ADDRESS": ["EMAIL"],
        "PHONE_NUMBER": ["PHONE"],
        "CREDIT_CARD": ["CREDIT_CARD"],
        "US_SSN": ["US_SSN"],
        "IBAN_CODE": ["IBAN"],
        "IP_ADDRESS": ["IP_ADDRESS"],
        "UK_NINO": ["UK_NINO"],
        "ES_NIF": ["ES_DNI"],
        "ES_NIE": ["ES_DNI"],
    },
    "detect-secrets": {
        "AWS Access Key": ["AWS_ACCESS_KEY", "AWS_SECRET_KEY"],
        "GitHub Token": ["GITHUB_TOKEN"],
        "NPM tokens": ["NPM_TOKEN"],
        "OpenAI Token": ["OPENAI_KEY"],
        "Slack Token": ["SLACK_TOKEN"],
        "Stripe Access Key": ["STRIPE_KEY"],
        "JSON Web Token": ["JWT"],
        "Private Key": ["PRIVATE_KEY"],
        "Public IP (ipv4)": ["IP_ADDRESS"],
        "Secret Keyword": ["GENERIC_SECRET"],
        "Base64 High Entropy String": ["GENERIC_SECRET"],
        "Hex High Entropy String": ["GENERIC_SECRET"],
        "Basic Auth Credentials": ["GENERIC_SECRET"],
    },
}
TOOL_TITLES = {"chaperone": "Chaperone", "presidio": "presidio-analyzer", "detect-secrets": "detect-secrets"}

# Written shapes in the corpus that Chaperone's detector documentation (docs/masking.md,
# Sources/Masking) says it does not cover; reported separately as "in documented scope".
CHAPERONE_UNCLAIMED_FORMATS = {
    ("US_SSN", "nodash_keyword"),        # nine bare digits are never matched
    ("PHONE", "fr_national"),            # trunk-0 numbers need groups of >= 3 digits (UK/DE shapes)
    ("NL_BSN", "bsn_nummer_label"),      # key word must end right before the separator
    ("NL_BSN", "parenthesized_label"),
    ("SLACK_TOKEN", "webhook_url"),      # only xox* tokens are a Slack detector format
    ("GENERIC_SECRET", "url_userinfo"),  # passwords inside URLs: no key word
    ("GENERIC_SECRET", "unlisted_keyword"),  # pwd=, passphrase ... are not key words
}


def supported_entities(tool: str) -> list[str]:
    targets = {e for entities in ENTITY_MAP[tool].values() for e in entities}
    return [e for e in ENTITIES if e in targets]


# --------------------------------------------------------------------------- corpus


def load_corpus(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def corpus_digest(items: list[dict]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
    return h.hexdigest()


# --------------------------------------------------------------------------- chaperone


def default_binary() -> Path:
    return Path(os.environ.get("CHAPERONE_BIN", REPO / ".build" / "debug" / "chaperone"))


def _byte_to_char(text: str, data: bytes, offset: int) -> int:
    if len(data) == len(text):  # ASCII
        return offset
    return len(data[:offset].decode("utf-8", errors="ignore"))


def _mask(binary: Path, rules: Path, data: bytes) -> tuple[bytes, list[dict]]:
    proc = subprocess.run([str(binary), "mask", "--rules", str(rules), "--format", "text", "--findings"],
                          input=data, capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"chaperone mask exited {proc.returncode}: {proc.stderr[-2000:].decode(errors='replace')}")
    findings = []
    for line in proc.stderr.decode(errors="replace").splitlines():
        line = line.strip()
        if line.startswith("{"):
            findings.append(json.loads(line))
    return proc.stdout, findings


def run_chaperone(items: list[dict], binary: Path | None = None, rules: Path | None = None,
                  batch_bytes: int = 1 << 20) -> tuple[list[list[tuple[int, int, str]]], dict]:
    """Findings per item as (start, end, label) in characters, and run information."""
    binary = Path(binary or default_binary())
    rules = Path(rules or REPO / "Rules")
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise FileNotFoundError(f"chaperone binary not found at {binary} (build it or set CHAPERONE_BIN)")
    sep = BATCH_SEPARATOR.encode()
    encoded = [item["text"].encode("utf-8") for item in items]
    results: list[list[tuple[int, int, str]]] = [[] for _ in items]
    batches: list[list[int]] = [[]]
    size = 0
    for index, data in enumerate(encoded):
        if batches[-1] and size + len(data) > batch_bytes:
            batches.append([])
            size = 0
        batches[-1].append(index)
        size += len(data) + len(sep)
    started = time.monotonic()
    processes = 0
    fallbacks = 0

    def one(indices: list[int]) -> bool:
        nonlocal processes
        starts, data = [], bytearray()
        for k, index in enumerate(indices):
            if k:
                data += sep
            starts.append(len(data))
            data += encoded[index]
        output, findings = _mask(binary, rules, bytes(data))
        processes += 1
        if len(indices) > 1 and output.count(sep) != len(indices) - 1:
            return False
        for finding in findings:
            begin, end = finding["inputRange"]
            k = bisect.bisect_right(starts, begin) - 1
            index = indices[k]
            local_begin = begin - starts[k]
            local_end = min(end - starts[k], len(encoded[index]))
            text = items[index]["text"]
            results[index].append((_byte_to_char(text, encoded[index], local_begin),
                                   _byte_to_char(text, encoded[index], local_end), finding["entity"]))
        return True

    for batch in batches:
        if not one(batch):
            fallbacks += 1
            for index in batch:
                results[index] = []
            for index in batch:
                one([index])
    info = {"binary": str(binary), "rules": str(rules), "processes": processes, "batches_rerun_per_item": fallbacks,
            "seconds": round(time.monotonic() - started, 2)}
    return results, info


# --------------------------------------------------------------------------- presidio / detect-secrets workers
# These functions run inside the virtualenv (`--worker`), never in the caller's interpreter.


def _worker_presidio(items: list[dict]) -> tuple[list[list[tuple[int, int, str, float]]], dict]:
    import logging

    import spacy
    import presidio_analyzer
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from presidio_analyzer.nlp_engine.slim_spacy_nlp_engine import SlimSpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import EsNieRecognizer, EsNifRecognizer, UkNinoRecognizer

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    class BlankEnglish(SlimSpacyNlpEngine):
        """spaCy's blank English tokenizer (no model download); lemma = lower-cased token."""

        def __init__(self):
            super().__init__(models=[{"lang_code": "en", "model_name": "blank:en"}])

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

        def _doc_to_nlp_artifact(self, doc, language):
            return NlpArtifacts(entities=[], tokens=doc, tokens_indices=[t.idx for t in doc],
                                lemmas=[t.lemma_ or t.lower_ for t in doc], nlp_engine=self,
                                language=language, scores=[])

    engine = BlankEnglish()
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    present = {type(r).__name__ for r in registry.recognizers}
    for cls in (UkNinoRecognizer, EsNifRecognizer, EsNieRecognizer):
        if cls.__name__ not in present:
            registry.add_recognizer(cls(supported_language="en"))
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
    entities = list(ENTITY_MAP["presidio"])
    out = []
    for item in items:
        results = analyzer.analyze(text=item["text"], language="en", entities=entities)
        out.append([(r.start, r.end, r.entity_type, round(float(r.score), 3)) for r in results])
    recognizers = sorted({type(r).__name__ for r in registry.recognizers
                          if set(r.supported_entities) & set(entities)})
    return out, {"version": presidio_analyzer.__version__ if hasattr(presidio_analyzer, "__version__") else
                 _dist_version("presidio-analyzer"), "spacy": spacy.__version__,
                 "nlp_engine": "spacy.blank('en') tokenizer, lemma = lower-cased token (no model)",
                 "recognizers": recognizers, "score_threshold": 0.0}


def _dist_version(name: str) -> str:
    from importlib.metadata import version
    return version(name)


def _worker_detect_secrets(items: list[dict]) -> tuple[list[list[tuple[int, int, str]]], dict]:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    out = []
    with default_settings() as settings, tempfile.TemporaryDirectory() as tmp:
        plugins = sorted(settings.plugins)
        path = Path(tmp) / "item.txt"
        for item in items:
            path.write_text(item["text"], encoding="utf-8")
            lines = item["text"].split("\n")
            starts = [0]
            for line in lines:
                starts.append(starts[-1] + len(line) + 1)
            used: set[tuple[int, int]] = set()
            findings = []
            for secret in scan_file(str(path)):
                number = secret.line_number - 1
                line = lines[number] if 0 <= number < len(lines) else ""
                value = secret.secret_value or ""
                start = line.find(value) if value else -1
                if start < 0 and value.rstrip("\\"):  # some plugins keep a trailing backslash
                    value = value.rstrip("\\")
                    start = line.find(value)
                while start >= 0 and (number, start) in used:
                    start = line.find(value, start + 1)
                span = (start, start + len(value)) if start >= 0 else (0, len(line))
                used.add((number, span[0]))
                base = starts[number] if 0 <= number < len(lines) else 0
                findings.append((base + span[0], base + span[1], secret.type))
            out.append(findings)
    return out, {"version": _dist_version("detect-secrets"), "plugins": plugins,
                 "mode": "scan_file on each item written as item.txt, default plugins and filters "
                         "(what `detect-secrets scan` does for a file)"}


def worker_main(tool: str, corpus: Path, output: Path) -> int:
    items = load_corpus(corpus)
    started = time.monotonic()
    findings, info = (_worker_presidio if tool == "presidio" else _worker_detect_secrets)(items)
    info["seconds"] = round(time.monotonic() - started, 2)
    with open(output, "w", encoding="utf-8") as f:
        json.dump({"info": info, "findings": findings}, f)
    return 0


def run_external(tool: str, items: list[dict], venv: Path) -> tuple[list[list[tuple]], dict]:
    python = venv / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{python} not found (run with --setup-venv, or pip install {' '.join(PINNED)} there)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        generate.write(items, corpus)
        output = Path(tmp) / "out.json"
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TLDEXTRACT_CACHE=str(Path(tmp) / "tld"))
        proc = subprocess.run([str(python), str(Path(__file__).resolve()), "--worker", tool, "--corpus", str(corpus),
                               "--worker-output", str(output)], capture_output=True, text=True, env=env, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"{tool} worker failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        data = json.loads(output.read_text())
    return [[tuple(f) for f in item] for item in data["findings"]], data["info"]


def setup_venv(venv: Path) -> None:
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *PINNED], check=True)


# --------------------------------------------------------------------------- scoring


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None or p + r == 0:
        return None if p is None or r is None else 0.0
    return round(2 * p * r / (p + r), 4)


def score(items: list[dict], findings: list[list[tuple]], tool: str, min_score: float | None = None,
          unclaimed: set[tuple[str, str]] | None = None) -> dict:
    """Per-entity and micro metrics of one tool (see the module docstring for the rule)."""
    mapping = ENTITY_MAP[tool]
    supported = supported_entities(tool)
    gold_n, found_n, exact_n, masked_n = Counter(), Counter(), Counter(), Counter()
    find_n, tp_n = Counter(), Counter()
    fmt_gold, fmt_found = Counter(), Counter()
    scope_gold, scope_found = Counter(), Counter()
    neg_n, neg_masked = Counter(), Counter()
    fp_examples: dict[str, list] = defaultdict(list)
    miss_examples: dict[str, list] = defaultdict(list)
    cross = Counter()
    unmapped = Counter()
    for item, item_findings in zip(items, findings):
        raw = []
        for f in item_findings:
            if min_score is not None and len(f) > 3 and f[3] < min_score:
                continue
            raw.append(f)
        seen, mapped = set(), []
        for f in raw:
            start, end, label = f[0], f[1], f[2]
            targets = mapping.get(label)
            if targets is None:
                unmapped[label] += 1
                continue
            gold_hit = [s for s in item["spans"] if _overlaps((start, end), (s["start"], s["end"]))]
            entity = next((t for t in targets if any(s["entity"] == t for s in gold_hit)), targets[0])
            key = (start, end, entity)
            if key in seen:
                continue
            seen.add(key)
            mapped.append(key)
            find_n[entity] += 1
            if any(s["entity"] == entity for s in gold_hit) or (
                    entity == "GENERIC_SECRET" and any(s["entity"] in SECRET_ENTITIES for s in gold_hit)):
                tp_n[entity] += 1
            else:
                if gold_hit:
                    cross[(entity, gold_hit[0]["entity"])] += 1
                if len(fp_examples[entity]) < 8:
                    fp_examples[entity].append({"id": item["id"], "found": item["text"][max(0, start - 12):end + 12],
                                                "overlaps": gold_hit[0]["entity"] if gold_hit else None})
        any_spans = [(f[0], f[1]) for f in raw]
        for s in item["spans"]:
            e = s["entity"]
            span = (s["start"], s["end"])
            gold_n[e] += 1
            fmt_gold[(e, s["format"])] += 1
            in_scope = not unclaimed or (e, s["format"]) not in unclaimed
            if in_scope:
                scope_gold[e] += 1
            hits = [m for m in mapped if m[2] == e and _overlaps((m[0], m[1]), span)]
            if hits:
                found_n[e] += 1
                fmt_found[(e, s["format"])] += 1
                if in_scope:
                    scope_found[e] += 1
                if any((m[0], m[1]) == span for m in hits):
                    exact_n[e] += 1
            elif e in supported and len(miss_examples[e]) < 8:
                miss_examples[e].append({"id": item["id"], "format": s["format"],
                                         "value_shape": _shape(item["text"][span[0]:span[1]])})
            if any(_overlaps(a, span) for a in any_spans):
                masked_n[e] += 1
        for n in item.get("negatives", []):
            neg_n[n["kind"]] += 1
            if any(_overlaps(a, (n["start"], n["end"])) for a in any_spans):
                neg_masked[n["kind"]] += 1

    per_entity = {}
    for e in ENTITIES:
        if e not in supported:
            per_entity[e] = {"supported": False, "gold": gold_n[e], "masked_any_label": masked_n[e],
                             "masked_recall": _ratio(masked_n[e], gold_n[e])}
            continue
        p, r = _ratio(tp_n[e], find_n[e]), _ratio(found_n[e], gold_n[e])
        per_entity[e] = {
            "supported": True, "gold": gold_n[e], "found": found_n[e], "exact_boundaries": exact_n[e],
            "findings": find_n[e], "true_positive_findings": tp_n[e], "false_positives": find_n[e] - tp_n[e],
            "precision": p, "recall": r, "f1": _f1(p, r),
            "masked_any_label": masked_n[e], "masked_recall": _ratio(masked_n[e], gold_n[e]),
            "by_format": {fmt: {"gold": fmt_gold[(e, fmt)], "found": fmt_found[(e, fmt)],
                                "recall": _ratio(fmt_found[(e, fmt)], fmt_gold[(e, fmt)])}
                          for (ee, fmt) in sorted(fmt_gold) if ee == e},
        }
        if unclaimed is not None:
            per_entity[e]["recall_in_documented_scope"] = _ratio(scope_found[e], scope_gold[e])
            per_entity[e]["gold_in_documented_scope"] = scope_gold[e]
    micro_tp = sum(tp_n[e] for e in supported)
    micro_find = sum(find_n[e] for e in supported)
    micro_found = sum(found_n[e] for e in supported)
    micro_gold = sum(gold_n[e] for e in supported)
    p, r = _ratio(micro_tp, micro_find), _ratio(micro_found, micro_gold)
    total_gold = sum(gold_n.values())
    return {
        "supported_entities": supported,
        "per_entity": per_entity,
        "micro": {"findings": micro_find, "true_positive_findings": micro_tp, "gold": micro_gold,
                  "found": micro_found, "precision": p, "recall": r, "f1": _f1(p, r)},
        "masked_any_label": {"gold": total_gold, "masked": sum(masked_n.values()),
                             "recall": _ratio(sum(masked_n.values()), total_gold),
                             "gold_supported": sum(gold_n[e] for e in supported),
                             "masked_supported": sum(masked_n[e] for e in supported),
                             "recall_supported": _ratio(sum(masked_n[e] for e in supported),
                                                        sum(gold_n[e] for e in supported))},
        "hard_negatives": {k: {"planted": neg_n[k], "masked": neg_masked[k]} for k in sorted(neg_n)},
        "hard_negatives_total": {"planted": sum(neg_n.values()), "masked": sum(neg_masked.values())},
        "cross_type_false_positives": {f"{a} on {b}": c for (a, b), c in sorted(cross.items())},
        "unmapped_labels": dict(sorted(unmapped.items())),
        "false_positive_examples": dict(fp_examples),
        "miss_examples": dict(miss_examples),
    }


def micro_on(result: dict, entities: Iterable[str]) -> dict:
    """Micro averages of a tool's result restricted to `entities`."""
    rows = [result["per_entity"][e] for e in entities if result["per_entity"][e].get("supported")]
    tp = sum(r["true_positive_findings"] for r in rows)
    fi = sum(r["findings"] for r in rows)
    fo = sum(r["found"] for r in rows)
    go = sum(r["gold"] for r in rows)
    p, r = _ratio(tp, fi), _ratio(fo, go)
    return {"precision": p, "recall": r, "f1": _f1(p, r), "gold": go, "findings": fi}


def _shape(value: str) -> str:
    """A value's shape without the value: letters -> a/A, digits -> 9, first 4 characters kept
    only for prefixes that name a format (ghp_, sk-, xox, AKIA ...)."""
    keep = 0
    for prefix in ("github_pat_", "sk-ant-", "sk-proj-", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_",
                   "xox", "AKIA", "ASIA", "AIza", "sk_live_", "rk_live_", "-----BEGIN", "https://hooks.slack.com/"):
        if value.startswith(prefix):
            keep = len(prefix)
            break
    out = value[:keep]
    for ch in value[keep:keep + 60]:
        out += "9" if ch.isdigit() else ("A" if ch.isupper() else "a" if ch.isalpha() else ch)
    return out + ("…" if len(value) > keep + 60 else "")


# --------------------------------------------------------------------------- report


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}"


def markdown(report: dict) -> str:
    tools = [t for t in ("chaperone", "presidio", "detect-secrets") if t in report["tools"]]
    lines = []
    head = "| entity | gold |" + "".join(f" {TOOL_TITLES[t]} P | R | F1 |" for t in tools)
    lines.append(head)
    lines.append("|---|---:|" + "---:|---:|---:|" * len(tools))
    for e in ENTITIES:
        row = f"| {e} | {report['tools'][tools[0]]['per_entity'][e]['gold']} |"
        for t in tools:
            pe = report["tools"][t]["per_entity"][e]
            if not pe.get("supported"):
                row += " — | — | — |"
            else:
                row += f" {_pct(pe['precision'])} | {_pct(pe['recall'])} | {_pct(pe['f1'])} |"
        lines.append(row)
    row = "| **micro (supported types)** | |"
    for t in tools:
        m = report["tools"][t]["micro"]
        row += f" **{_pct(m['precision'])}** | **{_pct(m['recall'])}** | **{_pct(m['f1'])}** |"
    lines.append(row)
    lines.append("")
    lines.append("Percentages; P = precision, R = recall (overlap with a gold span of the same type). "
                 "— = entity type not supported by the tool.")
    if "chaperone" in report["tools"]:
        lines.append("")
        lines.append("Chaperone on the other tools' entity sets (micro P / R / F1):")
        lines.append("")
        lines.append("| entity set | Chaperone | other tool |")
        lines.append("|---|---|---|")
        for t in tools[1:]:
            ents = report["tools"][t]["supported_entities"]
            c = micro_on(report["tools"]["chaperone"], ents)
            o = report["tools"][t]["micro"]
            lines.append(f"| {TOOL_TITLES[t]} ({len(ents)} types) | {_pct(c['precision'])} / {_pct(c['recall'])} / "
                         f"{_pct(c['f1'])} | {_pct(o['precision'])} / {_pct(o['recall'])} / {_pct(o['f1'])} |")
    if "chaperone" in report["tools"]:
        per = report["tools"]["chaperone"]["per_entity"]
        rows = [e for e in ENTITIES if per[e].get("recall_in_documented_scope") != per[e].get("recall")]
        if rows:
            lines.append("")
            lines.append("Chaperone recall without the written shapes its detectors do not document "
                         "(`CHAPERONE_UNCLAIMED_FORMATS`):")
            lines.append("")
            lines.append("| entity | gold in scope | recall in scope | recall, all shapes |")
            lines.append("|---|---:|---:|---:|")
            for e in rows:
                lines.append(f"| {e} | {per[e]['gold_in_documented_scope']} | "
                             f"{_pct(per[e]['recall_in_documented_scope'])} | {_pct(per[e]['recall'])} |")
    if "presidio" in report["tools"] and "at_score_0_5" in report["tools"]["presidio"]:
        m = report["tools"]["presidio"]["at_score_0_5"]["micro"]
        lines.append("")
        lines.append(f"presidio-analyzer at score >= 0.5 instead of its default 0: micro P {_pct(m['precision'])} / "
                     f"R {_pct(m['recall'])} / F1 {_pct(m['f1'])} (per entity in results.json).")
    lines.append("")
    lines.append("Masked with any label (share of all gold spans a tool's findings overlap) and planted "
                 "hard negatives masked:")
    lines.append("")
    lines.append("| tool | gold spans masked, supported types | all gold spans masked | hard negatives masked |")
    lines.append("|---|---:|---:|---:|")
    for t in tools:
        r = report["tools"][t]
        m, h = r["masked_any_label"], r["hard_negatives_total"]
        lines.append(f"| {TOOL_TITLES[t]} | {m['masked_supported']} / {m['gold_supported']} "
                     f"({_pct(m['recall_supported'])}) | {m['masked']} / {m['gold']} ({_pct(m['recall'])}) | "
                     f"{h['masked']} / {h['planted']} ({_pct(_ratio(h['masked'], h['planted']))}) |")
    for t, why in report.get("not_run", {}).items():
        lines.append("")
        lines.append(f"{TOOL_TITLES[t]}: not run ({why}).")
    return "\n".join(lines) + "\n"


def negatives_markdown(report: dict) -> str:
    tools = [t for t in ("chaperone", "presidio", "detect-secrets") if t in report["tools"]]
    kinds = sorted(report["tools"][tools[0]]["hard_negatives"])
    lines = ["| hard negative | planted |" + "".join(f" {TOOL_TITLES[t]} |" for t in tools),
             "|---|---:|" + "---:|" * len(tools)]
    for k in kinds:
        planted = report["tools"][tools[0]]["hard_negatives"][k]["planted"]
        lines.append(f"| {k} | {planted} |" + "".join(
            f" {report['tools'][t]['hard_negatives'][k]['masked']} |" for t in tools))
    return "\n".join(lines) + "\n"


def evaluate(items: list[dict], tools: list[str], binary: Path | None = None, rules: Path | None = None,
             venv: Path = DEFAULT_VENV) -> dict:
    report: dict = {"corpus": {**generate.summary(items), "sha256": corpus_digest(items)},
                    "matching_rule": "overlap with a gold span of the same entity; GENERIC_SECRET findings "
                                     "also count on any secret span; see evaluate.py docstring",
                    "tools": {}, "runs": {}, "not_run": {}}
    for tool in tools:
        try:
            if tool == "chaperone":
                findings, info = run_chaperone(items, binary, rules)
                result = score(items, findings, tool, unclaimed=CHAPERONE_UNCLAIMED_FORMATS)
            else:
                findings, info = run_external(tool, items, venv)
                result = score(items, findings, tool)
                if tool == "presidio":
                    strict = score(items, findings, tool, min_score=0.5)
                    result["at_score_0_5"] = {"micro": strict["micro"], "per_entity": {
                        e: {k: v for k, v in strict["per_entity"][e].items() if k in ("precision", "recall", "f1")}
                        for e in strict["supported_entities"]}}
        except (FileNotFoundError, RuntimeError) as error:
            report["not_run"][tool] = str(error).splitlines()[0]
            print(f"{tool}: not run: {error}", file=sys.stderr)
            continue
        report["tools"][tool] = result
        report["runs"][tool] = info
        print(f"{tool}: {info.get('seconds')} s", file=sys.stderr)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Evaluate masking detectors on the labelled corpus.")
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus.jsonl")
    ap.add_argument("--regenerate", action="store_true", help="generate the corpus in memory (--size, --seed) "
                                                                "instead of reading --corpus")
    ap.add_argument("--size", type=int, default=generate.DEFAULT_SIZE)
    ap.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    ap.add_argument("--tools", default="chaperone,presidio,detect-secrets")
    ap.add_argument("--binary", type=Path, default=None, help="chaperone binary (default CHAPERONE_BIN or "
                                                              ".build/debug/chaperone)")
    ap.add_argument("--rules", type=Path, default=REPO / "Rules")
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="virtualenv with presidio-analyzer and "
                                                                     "detect-secrets")
    ap.add_argument("--setup-venv", action="store_true", help=f"create --venv and pip install {' '.join(PINNED)}")
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--worker", choices=["presidio", "detect-secrets"], help=argparse.SUPPRESS)
    ap.add_argument("--worker-output", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.corpus, args.worker_output)
    if args.setup_venv:
        setup_venv(args.venv)
    if args.regenerate or not args.corpus.exists():
        items = generate.generate(args.size, args.seed)
    else:
        items = load_corpus(args.corpus)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    report = evaluate(items, tools, args.binary, args.rules, args.venv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "results.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    md = markdown(report) + "\nHard negatives masked (any finding overlapping the look-alike):\n\n" + \
        negatives_markdown(report)
    (args.out_dir / "results.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

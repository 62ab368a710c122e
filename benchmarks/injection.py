"""Synthetic but realistic test sets built from ground-truth article texts:

- injection: real articles with chrome and spam blocks (`injection_templates`) inserted at the
  top, bottom and between paragraphs, some joined to a paragraph by a single line break, some
  documents mojibaked (UTF-8 bytes read as cp1252 / latin-1); scored as the share of injected
  lines removed and the share of ground-truth words deleted, for TUNE and HOLDOUT families;
- encodings: texts re-encoded in legacy charsets / UTF-16, decoded by the decode stage and
  repaired by fix_encoding, scored byte-exact;
- clean articles through the text stages, scored as the share the quality stage rejects.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter

from benchmarks.foreign_texts import ENCODING_LANGS, PARAGRAPHS
from benchmarks.injection_templates import BLIND, BLIND2, BLIND3, BOTTOM, HOLDOUT, TOP, TUNE, TUNE2
from pipeline.core.document import Document, RawDocument

_WORD = re.compile(r"\w+", re.UNICODE)
GROUPS = ("tune", "holdout", "blind", "tune2", "blind2", "blind3")
# Groups only ever read as an aggregate (no missed-line examples, no per-family figures).
BLIND_GROUPS = ("blind", "blind2", "blind3")
ROUND1 = (("tune", TUNE), ("holdout", HOLDOUT), ("blind", BLIND))
# Second round: the same articles again (other seed) with the TUNE2 / BLIND2 families.
ROUND2 = (("tune2", TUNE2), ("blind2", BLIND2))
# Third round (written after the clean2 stage changes, see injection_templates.BLIND3).
ROUND3 = (("blind3", BLIND3),)


def clean_article(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def mojibake(text: str, codec: str) -> str:
    """UTF-8 bytes misread as cp1252 (bytes cp1252 leaves undefined read as latin-1) or latin-1."""
    data = text.encode("utf-8")
    if codec == "latin-1":
        return data.decode("latin-1")
    out = []
    for b in data:
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def build_injected(texts: list[str], seed: int = 13, mojibake_share: float = 0.15,
                   groups: tuple = ROUND1, prefix: str = "inj") -> list[dict]:
    """One injected document per text; texts take the `groups`' families in turn."""
    r = random.Random(seed)
    cases = []
    for i, text in enumerate(texts):
        group, fams = groups[i % len(groups)]
        paras = text.split("\n\n")
        slots: dict[int, list[tuple[str, list[str], str]]] = {}
        injected = []
        for _ in range(r.randint(3, 7)):
            fam = r.choice(sorted(fams))
            lines = fams[fam](r)
            if fam in TOP and r.random() < 0.5:
                pos = 0
            elif fam in BOTTOM and r.random() < 0.5:
                pos = len(paras)
            else:
                pos = r.randint(1, max(1, len(paras) - 1))
            joiner = "\n" if r.random() < 0.25 else "\n\n"
            slots.setdefault(pos, []).append((fam, lines, joiner))
            injected += [(fam, ln.strip()) for ln in lines]
        out = []
        for pos in range(len(paras) + 1):
            for _fam, lines, joiner in slots.get(pos, []):
                block = "\n".join(lines)
                if out and joiner == "\n":
                    out[-1] = out[-1] + "\n" + block
                else:
                    out.append(block)
            if pos < len(paras):
                out.append(paras[pos])
        doc_text = "\n\n".join(out)
        moji = None
        if r.random() < mojibake_share and not doc_text.isascii():
            moji = r.choice(["cp1252", "latin-1"])
            doc_text = mojibake(doc_text, moji)
        cases.append({"id": f"{prefix}{i}", "group": group, "text": doc_text, "original": text, "injected": injected, "mojibake": moji})
    return cases


def build_injected_all(texts: list[str]) -> list[dict]:
    """All rounds over the same articles: ROUND1 (seed 13), ROUND2 (seed 29), ROUND3 (seed 41)."""
    return (build_injected(texts) + build_injected(texts, seed=29, groups=ROUND2, prefix="inj2-")
            + build_injected(texts, seed=41, groups=ROUND3, prefix="inj3-"))


def _line_counts(text: str) -> Counter:
    return Counter(ln.strip() for ln in text.splitlines() if ln.strip())


def eval_injection(chain, cases: list[dict]) -> dict:
    stats = {g: {"lines": 0, "removed": 0, "gt_words": 0, "gt_deleted": 0, "docs": 0, "dropped": 0} for g in GROUPS}
    per_family: dict[str, list[int]] = {}
    missed: list[str] = []
    for case in cases:
        res = chain.text_stages(Document(id=case["id"], text=case["text"]))
        out = res["cleaned"]
        st = stats[case["group"]]
        st["docs"] += 1
        st["dropped"] += res["dropped"] is not None
        orig_lines, out_lines = _line_counts(case["original"]), _line_counts(out)
        want = Counter(ln for _f, ln in case["injected"])
        fam_of = {ln: f for f, ln in case["injected"]}
        for ln, k in want.items():
            still = max(0, out_lines[ln] - orig_lines[ln])
            if case["mojibake"]:
                still += out_lines[mojibake(ln, case["mojibake"])] if not ln.isascii() else 0
            removed = max(0, k - still)
            st["lines"] += k
            st["removed"] += removed
            key = f"{case['group']}:{fam_of[ln]}"
            per_family.setdefault(key, [0, 0])
            per_family[key][0] += k
            per_family[key][1] += removed
            if removed < k and len(missed) < 40 and case["group"] not in BLIND_GROUPS:
                missed.append(f"{key}: {ln[:90]}")
        gt = Counter(_WORD.findall(case["original"]))
        got = Counter(_WORD.findall(out))
        st["gt_words"] += sum(gt.values())
        st["gt_deleted"] += sum((gt - got).values())
    out = {}
    for g, st in stats.items():
        out[g] = {
            "docs": st["docs"],
            "lines": st["lines"],
            "removed": st["removed"] / st["lines"] if st["lines"] else 1.0,
            "gt_words_deleted": st["gt_deleted"] / st["gt_words"] if st["gt_words"] else 0.0,
        }
    out["per_family"] = {k: v[1] / v[0] for k, v in sorted(per_family.items()) if not k.startswith(BLIND_GROUPS)}
    out["missed_examples"] = missed
    return out


def _foreign_docs(r: random.Random, lang: str, english: list[str]) -> str:
    if lang == "en":
        return r.choice(english)
    paras = PARAGRAPHS[lang]
    return "\n\n".join(r.sample(paras, r.randint(2, len(paras))))


def build_encoded(english: list[str], per_encoding: int = 20, seed: int = 7) -> list[dict]:
    """Texts representable in each encoding, encoded to bytes (utf-16 with its BOM)."""
    r = random.Random(seed)
    cases = []
    for enc, langs in ENCODING_LANGS.items():
        made = tries = 0
        while made < per_encoding and tries < per_encoding * 50:
            tries += 1
            lang = langs[made % len(langs)]
            text = clean_article(_foreign_docs(r, lang, english))
            if lang == "en" and len(text) > 3000:
                text = text[: text.rfind("\n\n", 0, 3000)] if "\n\n" in text[:3000] else text[:3000]
            try:
                data = text.encode(enc)
            except UnicodeEncodeError:
                continue
            if data.isascii() and enc != "utf-16":
                continue  # nothing to test
            cases.append({"encoding": enc, "lang": lang, "data": data, "text": text})
            made += 1
    return cases


def eval_encoded(chain, cases: list[dict]) -> dict:
    per: dict[str, list[int]] = {}
    failures = []
    for i, case in enumerate(cases):
        o = chain.decode.apply(RawDocument(id=f"enc{i}", source="enc", data=case["data"]))
        text = ""
        if o.doc is not None:
            f = chain.fix.apply(o.doc)
            text = f.doc.text if f.doc is not None else ""
        ok = text == case["text"]
        per.setdefault(case["encoding"], [0, 0])
        per[case["encoding"]][0] += 1
        per[case["encoding"]][1] += ok
        if not ok and len(failures) < 10:
            got = o.doc.meta.get("charset") if o.doc is not None else o.reason
            failures.append(f"{case['encoding']}/{case['lang']}: decoded as {got}")
    total = sum(v[0] for v in per.values())
    return {
        "cases": total,
        "restored": sum(v[1] for v in per.values()) / total if total else 1.0,
        "per_encoding": {k: v[1] / v[0] for k, v in per.items()},
        "failures": failures,
    }


def eval_quality_rejects(chain, texts: list[str]) -> dict:
    reasons: Counter = Counter()
    for i, text in enumerate(texts):
        res = chain.text_stages(Document(id=f"clean{i}", text=text))
        if res["dropped"]:
            reasons[res["dropped"].split(" | ")[0]] += 1
    n = len(texts)
    return {"docs": n, "rejected": sum(reasons.values()) / n if n else 0.0, "reasons": dict(reasons)}


def eval_ftfy(chain, cases: list[dict]) -> dict:
    """Our fix_encoding keeps curly quotes (uncurl_quotes=False) and ftfy's expected `fixed`
    straightens them, so a case counts as fixed when our output equals the expected text after
    straightening quotes in both (or equals `fixed-encoding`, ftfy's quote-preserving target).
    A negative case counts as changed when the output differs from its expected text (one
    "mostly negative" case expects a C1 control character to be fixed)."""
    quotes = {c: "'" for c in "\u02bc\u2018\u2019\u201a\u201b"} | {c: '"' for c in "\u201c\u201d\u201e\u201f"}

    def uncurl(s: str) -> str:  # what ftfy's uncurl_quotes does
        return s.translate(str.maketrans(quotes))

    res = {"pass_cases": 0, "pass_fixed": 0, "negatives": 0, "negatives_changed": 0, "known_failures": 0,
           "known_failures_fixed": 0, "failures": []}
    for i, case in enumerate(cases):
        out = chain.fix.apply(Document(id=f"ftfy{i}", text=case["original"]))
        got = out.doc.text
        targets = {case["fixed"], case.get("fixed-encoding", case["fixed"])}
        ok = got in targets or uncurl(got) in {uncurl(t) for t in targets}
        if case["file"] == "negative":
            res["negatives"] += 1
            res["negatives_changed"] += not ok  # changed beyond what the case expects
        if case["expect"] == "pass":
            res["pass_cases"] += 1
            res["pass_fixed"] += ok
            if not ok and len(res["failures"]) < 10:
                res["failures"].append(f"{case['file']}: {case['label'][:60]}")
        else:
            res["known_failures"] += 1
            res["known_failures_fixed"] += ok
    return res

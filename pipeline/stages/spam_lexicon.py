"""Commercial / transactional vocabulary for the spam scorer, as weighted *concepts*.

Each concept (pharmacy, gambling, lending, replicas, essay mills, crypto/forex, adult,
weight loss, generic selling) is a set of stems in several languages; a line's commercial
score is the sum of the weights of the distinct concepts it touches plus the generic
"transaction" words (buy, cheap, order, discount...). Stems of 5+ letters are matched as word prefixes,
so "pharmac" covers pharmacy, pharmacie, pharmacies; shorter ones as whole words ("rx", "loan");
lookups are per token (dict), not one big alternation regex. Nothing here is a spam sentence.
"""

from __future__ import annotations

import re

# concept -> (weight, stems). Weights: how strongly one hit of the concept says "advert".
CONCEPTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "pharmacy": (1.0, (
        "pharmac", "prescription", "viagra", "cialis", "levitra", "tadalafil", "sildenafil", "cipro",
        "amoxicillin", "xanax", "valium", "tramadol", "oxycodone", "adderall", "ambien pills", "propecia",
        "clomid", "kamagra", "pills", "pill", "rx", "apotheke", "rezeptfrei", "farmacia", "sin receta",
        "ordonnance", "аптека", "таблетк", "no prescription", "without prescription", "mg",
    )),
    "gambling": (1.0, (
        "casino", "casinos", "poker", "slots", "slot", "roulette", "blackjack", "jackpot", "betting",
        "bookmaker", "sportsbook", "freespins", "spins", "wager", "kasino", "spielothek", "apuestas",
        "казино", "ставки", "букмекер", "パチンコ", "カジノ", "博彩", "赌场",
    )),
    "lending": (0.9, (
        "loan", "loans", "payday", "lender", "lenders", "mortgage", "refinanc", "credit score",
        "bad credit", "cash advance", "kredit", "prêt", "préstamo", "crédito", "займ", "кредит",
        "микрозайм", "贷款",
    )),
    "replica": (1.0, (
        "replica", "replicas", "knockoff", "fake rolex", "rolex", "louis vuitton", "handbag",
        "handbags", "designer bags", "factory outlet", "outlet store", "réplique", "réplica", "копии", "реплика",
    )),
    "essay": (1.0, (
        "essay", "essays", "homework", "dissertation", "term paper", "coursework", "thesis writing",
        "write my", "ghostwrit", "hausarbeit", "курсов", "диплом", "代写",
    )),
    "crypto": (0.8, (
        "bitcoin", "crypto", "cryptocurrenc", "btc", "forex", "binary option", "trading signal",
        "airdrop", "token sale", "nft", "trading bot", "passive income", "криптовалют", "биткоин",
        "比特币", "仮想通貨",
    )),
    "adult": (1.0, (
        "porn", "xxx", "escort", "escorts", "dating site", "online dating", "hot singles", "hookup",
        "camgirl", "nude", "знакомств", "出会い",
    )),
    "weight_loss": (0.8, (
        "weight loss", "lose weight", "diet pill", "fat burn", "keto", "slimming", "abnehmen",
        "maigrir", "adelgazar", "похуде",
    )),
    "seo": (0.8, (
        "backlink", "backlinks", "seo service", "buy followers", "instagram followers", "website traffic",
        "rank your",
    )),
}

# Generic transaction words: buying, price, urgency, free offers (any product).
TRANSACTION: tuple[float, tuple[str, ...]] = (0.5, (
    "buy", "buying", "cheap", "cheapest", "order", "discount", "discounts", "sale", "sales", "price",
    "prices", "deal", "deals", "offer", "offers", "coupon", "promo", "shop", "store", "online",
    "free shipping", "delivery", "overnight", "best", "guaranteed", "instant", "bonus", "win",
    "money", "cash", "earn", "income", "fast", "quick", "now", "today", "limited", "% off", "save",
    "kaufen", "günstig", "billig", "bestellen", "rabatt", "angebot", "acheter", "pas cher",
    "commander", "promo", "comprar", "barato", "oferta", "descuento", "comprare", "economico",
    "kupić", "tanio", "купить", "дешево", "скидк", "заказать", "цена", "購入", "激安", "格安",
    "通販", "购买", "便宜", "优惠", "打折",
))

# Imperative openers of calls to action (buy now, click here, get your...).
_CTA_WORDS = (
    r"buy|order|get|grab|claim|click|visit|try|call|download|join|sign up|register|"
    r"shop|discover|check out|see|find|apply|earn|win|start|learn how|best|cheap|top|"
    r"kaufen|kaufe|bestelle|holen|jetzt|achetez|commandez|découvrez|compra|pide|descubre|"
    r"купи|закажи|скачай|получи"
)
_CTA_START = r"^\W{0,3}(?:" + _CTA_WORDS + r")\b"
CTA_PHRASES = (
    "click here", "order now", "buy now", "shop now", "sign up now", "visit our", "visit us", "visit the",
    "limited time", "act now", "don't miss", "dont miss", "jetzt kaufen", "achetez maintenant",
    "compra ahora", "купить сейчас",
)
# Calls to action: an imperative opener (buy now, get your...), a CTA phrase anywhere (click
# here...) or a closing "!" (`has_cta`). Three searches rather than one alternation: the phrase
# alternation is tried at every position of the line, and a look-ahead on the phrases' first
# letters lets the engine skip the rest (one combined pattern cost ~23 us a line).
_CTA_OPENER = re.compile(_CTA_START, re.I)
_CTA_PHRASE = re.compile(
    "(?=[" + "".join(sorted({p[0] for p in CTA_PHRASES})) + r"])\b(?:"
    + "|".join(re.escape(p) for p in CTA_PHRASES) + r")\b",
    re.I,
)


def has_cta(line: str) -> bool:
    """Whether `line` calls its reader to act: an imperative opener, a CTA phrase, or it ends in
    "!" (trailing white space aside)."""
    return bool(_CTA_OPENER.search(line) or _CTA_PHRASE.search(line)) or line.rstrip().endswith("!")


# The same opener at the start of any line of a text, found as `score_line` sees lines (stripped):
# any run of leading spaces or symbols, but never across a line break (a match starting on the
# blank line before would point `may_contain_spam` at that empty line).
_CTA_START_ML = re.compile(r"^[^\w\n]*(?:" + _CTA_WORDS + r")\b", re.I | re.M)


def _index(stems_by_concept: dict[str, tuple[float, tuple[str, ...]]]):
    """Split stems into: single words (exact when <= 4 chars, else prefixes, looked up by their
    first 3 letters), multi-word phrases and unspaced-script stems (substring checks)."""
    exact: dict[str, str] = {}
    prefix: dict[str, list[tuple[str, str]]] = {}
    phrases: list[tuple[str, str]] = []
    for name, (_w, stems) in stems_by_concept.items():
        for st in stems:
            st = st.lower()
            if " " in st or not st.isalnum():
                phrases.append((st, name))
            elif not st.isascii() and not any(c.isalpha() and ord(c) < 0x3000 for c in st):
                phrases.append((st, name))  # CJK: no word boundaries, substring match
            elif len(st) <= 4:
                exact[st] = name
            else:
                prefix.setdefault(st[:3], []).append((st, name))
    return exact, prefix, phrases


_WORD = re.compile(r"\w+")
WEIGHTS = {name: w for name, (w, _s) in CONCEPTS.items()}
_EXACT, _PREFIX, _PHRASES = _index(CONCEPTS)
_TX_EXACT = frozenset(s for s in TRANSACTION[1] if " " not in s and s.isalnum())
_TX_PHRASES = tuple(s for s in TRANSACTION[1] if s not in _TX_EXACT)
TRANSACTION_WEIGHT = TRANSACTION[0]


def commercial(text: str, words: tuple[str, ...] | list[str] | None = None) -> tuple[float, list[str]]:
    """Commercial score of a line: sum of concept weights (each concept counted once) plus
    0.5 per distinct transaction word (capped at 1.0). Returns (score, concepts hit).
    `words` are the line's lowercased tokens when the caller already has them."""
    low = text.lower()
    distinct = set(_WORD.findall(low) if words is None else words)
    hits = {_EXACT[w] for w in distinct.intersection(_EXACT)}
    heads = _PREFIX.keys() & {w[:3] for w in distinct}  # set operations in C; few words remain
    if heads:
        hits.update(name for w in distinct if w[:3] in heads for st, name in _PREFIX[w[:3]] if w.startswith(st))
    tx = distinct.intersection(_TX_EXACT)
    hits.update(name for st, name in _PHRASES if st in low)
    tx.update(st for st in _TX_PHRASES if st in low)
    out = sorted(hits)
    score = sum(WEIGHTS[h] for h in out)  # in name order: the same float sum in every process
    if tx:
        score += min(TRANSACTION_WEIGHT * len(tx), 1.0)
        out.append("transaction")
    return score, out


def _alternation(items) -> str:
    return "|".join(re.escape(x) for x in sorted(items, key=len, reverse=True))


# Everything `may_contain_spam` can match, as one RE2 pattern for Arrow's kernels over lowercased
# text (a necessary condition: a word of the lexicon between non-word characters, a stem at a
# word start, a phrase, a call-to-action opener at a line start, a CTA phrase or a "!").
_B, _E = r"(?:^|[^\pL\pN_])", r"(?:[^\pL\pN_]|$)"
LEXICON_RE2 = "|".join((
    f"{_B}(?:{_alternation(_EXACT)}){_E}",
    f"{_B}(?:{_alternation(st for stems in _PREFIX.values() for st, _name in stems)})",
    _alternation(st for st, _name in _PHRASES),
    # (a line starts after "\n" or after any other break `str.splitlines` knows; its stripped
    # text may follow any spaces or symbols)
    r"!|(?m:(?:^|[\r\x0b\x0c\x1c-\x1e\x{85}\x{2028}\x{2029}])[^\pL\pN_]*(?:" + _CTA_WORDS + "))|" + _alternation(CTA_PHRASES),
))


def may_contain_spam(text: str) -> bool:
    """Cheap whole-document gate: can any line pass the spam decision (a spam concept, or a
    call to action with transaction words)? Looks at the document's distinct tokens once.
    Lines are taken between "\n"s: a caller with other line breaks joins `text.splitlines()`."""
    low = text.lower()
    words = set(_WORD.findall(low))
    if not words.isdisjoint(_EXACT):
        return True
    heads = _PREFIX.keys() & {w[:3] for w in words}  # set operations in C; few words remain
    for w in words:
        if w[:3] in heads and any(w.startswith(st) for st, _name in _PREFIX[w[:3]]):
            return True
    if any(st in low for st, _name in _PHRASES):
        return True
    # A call to action only counts with two transaction words on its line. Candidate lines:
    # an imperative opener, a CTA phrase or a closing "!" (found with str methods, not a scan
    # of the whole text with one alternation regex).
    starts = {m.start() for m in _CTA_START_ML.finditer(text)}
    for ph in CTA_PHRASES:
        i = low.find(ph)
        while i >= 0:
            starts.add(i)
            i = low.find(ph, i + 1)
    i = text.find("!")
    while i >= 0:
        starts.add(i)
        i = text.find("!", i + 1)
    seen_lines = set()
    for pos in starts:
        a = text.rfind("\n", 0, pos) + 1
        if a in seen_lines:
            continue
        seen_lines.add(a)
        b = text.find("\n", pos)
        line = text[a : b if b >= 0 else len(text)].strip()
        if has_cta(line) and commercial(line)[0] >= 0.8:
            return True
    return False

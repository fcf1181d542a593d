"""Merchant normalization: from the line a bank prints to a clean payee name and a grouping key.

``normalize_payee("SQ *LUCY'S COFFEE CO. SAN LUIS OBIS CA")`` gives ``"Lucy's Coffee Co"``;
``payee_key`` folds spellings of one merchant (``LUCYS COFFEE CO``, ``Lucy's Coffee Co``) to one
key, which the categorizer uses to remember a user's corrections.

Approach
    Hand-written rules, applied in this order to a line cut to 256 characters:

    1. Bank entries that are not a merchant get a canonical name: transfers between own accounts
       (``Transfer to Savings``), card payments, cash machines, fees, interest, checks; person-to-
       person payments (Zelle, Faster Payments) give the person.
    2. Boilerplate before the payee goes (``PURCHASE AUTHORIZED ON 10/14``, ``POS PURCHASE``,
       ``ACH DEBIT``, ``CARD PAYMENT TO``), then everything after a marker that only ever follows
       it (``DES:``, ``PPD ID:``, ``REF``, ``CARD 4821``, a run of padding spaces).
    3. A processor before ``*`` (``SQ *``, ``TST*``, ``PAYPAL *``) gives way to the merchant;
       a merchant before ``*`` (``AMAZON.COM*2K4L8``, ``LYFT *RIDE``) keeps only itself.
    4. The name ends at the first store number or id (``#0452``, ``STORE 452``, ``05342108``);
       then dates, card digits, phone numbers, web addresses, states and cities (from a modest
       list, also truncated ones such as ``SAN LUIS OBIS``) come off the end, as do ACH entry
       descriptions (``PAYROLL``, ``WEB PMTS``).
    5. Well-known payers map to one name (``AMZN MKTP US`` → ``Amazon``), abbreviations expand
       (``CTR`` → ``Center``) and the words get readable case (``LUCY'S`` → ``Lucy's``, ``of``,
       ``Co``, acronyms upper); mixed-case words a bank printed (``WaveFit``) are kept.

Grouping key
    ``payee_key`` casefolds the payee and drops what spellings of one merchant disagree on:
    spaces, apostrophes, "The", legal suffixes, ``&``/``and``/``n``, abbreviations, a vowel
    between consonants (``HLLW`` for ``HOLLOW``), everything past 16 characters (ACH names are
    cut at 16). Different merchants rarely share a key; a wrong merge is worse than a split
    (a user's correction would silently apply to another merchant), so the folding stays modest.

Why hand-written
    No well-kept library normalizes bank merchant strings offline: the services that do (Plaid,
    card networks' enrichment) are remote and see the data. The rules are regular expressions
    over word lists (``bank_words.yaml``, compiled once by ``bank_words``); the function is pure,
    deterministic and fast (over 60,000 new lines a second on one core).

Caches
    A ledger repeats its lines, so recent answers are cached by line. Lines of one merchant also
    differ only in their digits (dates, store and reference numbers), and the rules never read a
    digit's value, only where digits are: so an answer with no digit in it is also cached under
    the line's *shape* (every digit as ``0``) and reused for every line of that shape. A test
    checks the shortcut against the full rules on every generated layout.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from budgetlm.categorize import bank_words as bw

__all__ = ["clear_caches", "normalize_payee", "payee_key"]

_MAX_LEN = 256
_KEY_LEN = 16
_TRANSLATE = str.maketrans({**{i: " " for i in (*range(32), 127)}, 9: "  ", 124: " ", 96: "'"})
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u00b4": "'"})
_GAP = re.compile(r" {2,}")
_DROPPED = re.compile(r"( ?)\0+( ?)")
_HASH = re.compile(r"(?<=[^\s#])#")
_KEY_WORDS = re.compile(r"[A-Z0-9]+|&")
_SQUEEZABLE = re.compile(r"(?<=[b-df-hj-np-tv-z])[aeiou](?=[b-df-hj-np-tv-z])")
_VOWELS = frozenset("AEIOUY")
_ASCII_DIGIT = re.compile(r"[0-9]")
_ANY_DIGIT = re.compile(r"\d")
_SHAPES_KEPT = 65536
_BY_SHAPE: dict[str, str] = {}
"""Digit-free answers by line shape (see Caches in the module docstring)."""


def normalize_payee(description: str) -> str:
    """Clean payee name for a bank transaction description.

    Args:
        description: The line as the bank printed it (any text; only the first 256 characters
            are read).

    Returns:
        A readable payee such as ``"Lucy's Coffee Co"``, a canonical name for bank entries
        (``"Transfer to Savings"``, ``"ATM Withdrawal"``, ``"Check 1042"``), or ``""`` when
        nothing meaningful is left.
    """
    line = description[:_MAX_LEN]
    shape = _ASCII_DIGIT.sub("0", line)
    if shape == line:
        return _normalize(line)
    payee = _BY_SHAPE.get(shape)
    if payee is None:
        payee = _normalize(line)
        if not _ANY_DIGIT.search(payee):
            if len(_BY_SHAPE) >= _SHAPES_KEPT:
                _BY_SHAPE.clear()
            _BY_SHAPE[shape] = payee
    return payee


def clear_caches() -> None:
    """Forget every cached answer (benchmarks use it to measure a cold start)."""
    _normalize.cache_clear()
    _BY_SHAPE.clear()


@lru_cache(maxsize=32768)
def _normalize(description: str) -> str:
    """``normalize_payee`` of a line already cut to 256 characters (ledgers repeat lines)."""
    flat = _prepare(description)
    if not flat:
        return ""
    up = flat.upper()
    if len(up) != len(flat):
        flat = up
    if bw.ENTRY_HINT.search(up):
        entry = _bank_entry(" ".join(up.replace("|", " ").split()))
        if entry is not None:
            return entry
    start = _strip_prefixes(up)
    alias = _alias(up[start:])
    if alias:
        return alias
    words, uwords = _payee_words(flat, up, start)
    if not any(c.isalpha() for w in uwords for c in w):
        fallback = [w for w in up.replace("|", " ").split() if not _is_junk(w)]
        return _display(fallback[:6], fallback[:6])
    return _alias(" ".join(uwords)) or _display(words, uwords)


def payee_key(description: str) -> str:
    """Short casefolded key that groups the spellings of one merchant.

    Built from ``normalize_payee``: apostrophes, spaces, punctuation, "The" and legal suffixes
    go; ``&``/``and``/``n`` and common abbreviations fold to one spelling; a vowel between two
    consonants is dropped (terminals squeeze ``HOLLOW`` to ``HLLW``); the key keeps its first 16
    characters (ACH names are cut at 16, card names at 22-25). ``"LUCYS COFFEE CO SAN LUIS OBIS
    CA"`` and ``"Lucy's Coffee Co"`` share one key.

    Args:
        description: A raw bank line or an already clean payee.

    Returns:
        The key, or ``""`` when the description has no payee.
    """
    name = normalize_payee(description)
    if not name.isascii():
        name = "".join(c for c in unicodedata.normalize("NFKD", name) if c.isascii())
    words = _KEY_WORDS.findall(name.upper().replace("'", "").replace("CO-OP", "COOP"))
    parts = [
        bw.KEY_ABBREVIATIONS[w] if w in bw.KEY_ABBREVIATIONS else bw.ABBREVIATIONS.get(w, w)
        for w in words
    ]
    key = "".join(parts).lower().replace(" ", "") or "".join(words).lower()
    return _SQUEEZABLE.sub("", key)[:_KEY_LEN]


def _alias(up: str) -> str:
    """The one name of a well-known payer whose printed form starts ``up`` ("" if none)."""
    found = bw.ALIAS.match(up) if up[:2] in bw.ALIAS_HEADS else None
    return "" if found is None or found.lastindex is None else bw.ALIASES[found.lastindex - 1][1]


def _prepare(description: str) -> str:
    """Control and format characters dropped, padding runs marked ``|``, single spaces."""
    text = description
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text.translate(_QUOTES))
        text = _DROPPED.sub(_join_dropped, "".join(_keep(c) for c in text))
    if not text.isprintable() or "|" in text or "`" in text:
        text = text.translate(_TRANSLATE)
    if "  " in text:
        text = _GAP.sub(" | ", text.strip())
    text = " ".join(text.split())
    return _HASH.sub(" #", text) if "#" in text else text


def _keep(char: str) -> str:
    """The character, a space for other spaces and punctuation, NUL for what goes (emoji)."""
    if char.isascii() or char.isalnum():
        return char
    return " " if unicodedata.category(char)[0] in "ZP" else "\0"


def _join_dropped(found: re.Match[str]) -> str:
    """Emoji or format characters inside a word vanish; between words they leave one space."""
    return " " if found.group(1) or found.group(2) else ""


def _bank_entry(up: str) -> str | None:
    """Canonical payee for lines that are not purchases, or None for a merchant line."""
    if bw.FEE.search(up) and len(up.split()) <= 8:
        for pattern, name in bw.FEE_NAMES:
            if pattern.search(up):
                return name
    if bw.INTEREST.fullmatch(up):
        return "Interest Earned"
    bank = bw.CARD_OF_BANK.match(up)
    if bank is not None:
        return _display_text(bank.group(1) + " CREDIT CARD")
    if bw.CARD_PAYMENT.match(up):
        return "Credit Card Payment"
    if bw.ATM_DEPOSIT.match(up):
        return "ATM Deposit"
    if bw.ATM.match(up):
        return "ATM Withdrawal"
    p2p = bw.P2P.match(up) or bw.FROM_COMPANY.match(up)
    if p2p is not None:
        return _person(p2p.group(1))
    transfer = bw.TRANSFER.match(up)
    if transfer is not None:
        return _transfer(transfer.group(1), transfer.group(2))
    check = bw.CHECK.match(up)
    if check is not None:
        word = "Cheque" if check.group(1) in ("CHEQUE", "CHQ") else "Check"
        return f"{word} {check.group(2)}"
    return None


def _transfer(direction: str, rest: str) -> str:
    way = direction.lower()
    if bw.SAVINGS.search(rest):
        return f"Transfer {way} Savings"
    if bw.CHECKING.search(rest):
        return f"Transfer {way} Checking"
    person = _person(rest)
    if person and not bw.ACCOUNT.search(rest):
        return person
    return f"Transfer {way} Account"


def _person(text: str) -> str:
    """A person's (or company's) name after "Zelle to": ids, dates and references removed."""
    cut = bw.P2P_END.search(" " + text)
    name = (" " + text)[: cut.start()] if cut is not None else " " + text
    words = [w for w in name.split() if not _is_junk(w) and w not in bw.TAIL_WORDS]
    return _display(words, words)


def _strip_prefixes(up: str) -> int:
    """Where the payee starts: after an ACH originator label and the bank's boilerplate."""
    orig = bw.ORIG.search(up)
    start = 0 if orig is None else orig.end()
    for _ in range(4):
        m = bw.PREFIX.match(up, start)
        if m is None or m.end() == start:
            break
        start = m.end()
    return start


def _payee_words(flat: str, up: str, start: int) -> tuple[list[str], list[str]]:
    """Words of the payee (original and upper case) with boilerplate and location removed."""
    cut = bw.CUT.search(up, start + 1)
    end = cut.start() if cut is not None else len(up)
    text, utext = _split_processor(flat[start:end], up[start:end])
    words, uwords = text.split(), utext.split()
    n = _name_end(uwords)
    open_end = cut is None and len(flat) >= 30 and n == len(uwords) and up.endswith(utext)
    n = _strip_tail(words, uwords, n, open_end)
    n, first = _strip_ach(words, uwords, n, up, open_end and n == len(uwords))
    return _tidy(words[first:n], uwords[first:n])


def _split_processor(text: str, utext: str) -> tuple[str, str]:
    """Drop a processor before ``*`` (``SQ *``), or what follows a merchant's own ``*``."""
    for _ in range(2):
        star = utext.find("*", 1)
        if star < 0 or star > 24:
            break
        left = utext[:star].strip(" -")
        if left in bw.PROCESSORS or (len(left) <= 3 and left.isalnum()):
            text, utext = text[star + 1 :].strip(), utext[star + 1 :].strip()
        elif sum(c.isalpha() for c in left) >= 3:
            text, utext = text[:star].strip(), left
            break
        else:
            break
    return text, utext


def _name_end(uwords: list[str]) -> int:
    """Index of the first store number or id after the name (the name ends there).

    ``STORE`` before a short store number goes too, unless a shop noun owns it (``DOLLAR STORE``).
    """
    for i in range(1, len(uwords)):
        word, store = uwords[i], uwords[i] in bw.STORE_WORDS
        if store and (i + 1 == len(uwords) or not bw.SHORT_NUMBER.fullmatch(uwords[i + 1])):
            continue
        if not store and (word.isalpha() or not bw.NUMBERISH.fullmatch(word)):
            continue
        if not any(c.isalpha() for w in uwords[:i] for c in w):
            continue
        if not store and uwords[i - 1] in bw.STORE_WORDS and bw.SHORT_NUMBER.fullmatch(word):
            i -= 1
        return i + (uwords[i] in bw.STORE_WORDS and i > 1 and uwords[i - 1] in bw.SHOP_NOUNS)
    return len(uwords)


def _strip_tail(words: list[str], uwords: list[str], n: int, open_end: bool) -> int:
    """Drop dates, ids, states, cities and refund markers from the end of the name."""
    end = n
    while n > 1:
        last, at_end = uwords[n - 1], open_end and n == end
        if _is_junk(last) or last in bw.TAIL_WORDS:
            n -= 1
            if last.isdigit() and n > 2 and uwords[n - 1] in bw.STORE_WORDS:
                n -= uwords[n - 2] not in bw.SHOP_NOUNS
        elif last in bw.MONTHS and n > 2 and uwords[n - 2].isdigit():
            n -= 2
        elif _is_trailer(uwords, n):
            n -= 1
        elif last in bw.US_STATES or last in bw.COUNTRY_CODES or (at_end and len(last) == 1):
            ambiguous = last in bw.AMBIGUOUS_STATES or len(last) == 1
            drop = _location_before(words, uwords, n - 1, ambiguous)
            if drop < 0:
                break
            n -= 1 + drop
        else:
            drop = _city_len(uwords, n, strict=True, truncated=at_end)
            if n - drop < 2 and len(uwords[0]) < 9:
                drop = 0  # "Marcus Chandler" is a person, "Sweetsteakhouse Boston" a shop and city
            if at_end and not drop and n > 2 and last in bw.CITY_STUBS and last not in bw.NAME_ENDS:
                drop = 1
            glued = None if drop or not at_end else _split_glued_city(words, uwords, n, strict=True)
            if drop == 0 and glued is None:
                break
            n -= drop or glued or 0
    return n


def _location_before(words: list[str], uwords: list[str], i: int, ambiguous: bool) -> int:
    """How many words before a state code at ``i`` are its city (-1: it is no state)."""
    if i == 0:
        return -1
    if _is_junk(uwords[i - 1]) or _is_locator(uwords[: i - 1], uwords[i - 1], host=True):
        return 1 if i > 1 else 0
    city = _city_len(uwords, i, strict=False, truncated=True)
    if city:
        return city
    glued = _split_glued_city(words, uwords, i, strict=False)
    if glued is not None:
        return glued
    if ambiguous or i < 3:
        return -1
    return 2 if i >= 4 and uwords[i - 2] in bw.CITY_LEAD_WORDS else 1


def _city_len(uwords: list[str], end: int, *, strict: bool, truncated: bool) -> int:
    """Number of words ending at ``end`` that name a known city (0 if none)."""
    last = uwords[end - 1].strip(".,")
    if last not in (bw.CITY_ENDS if truncated else bw.CITY_WORDS):
        return 0
    for size in (3, 2, 1):
        if end - size < 1 or uwords[end - size - 1].lower() in bw.PLACE_GUARDS:
            continue
        place = " ".join(w.strip(".,") for w in uwords[end - size : end])
        if place in bw.CITIES:
            if not strict or place not in bw.WORDLIKE_CITIES:
                return size
        elif truncated and (
            (place in bw.CITY_PREFIXES and (size > 1 or not strict))
            or (size == 1 and place in bw.WORD_PREFIXES)
        ):
            return size
    return 0


def _split_glued_city(words: list[str], uwords: list[str], end: int, *, strict: bool) -> int | None:
    """Cut a city glued to the name (``AUTHORITYLEEDS``, ``STORFORT COLLINS``) off its word.

    Returns:
        How many whole words after the cut one belong to the city, or None if no city is glued.
    """
    least = 6 if strict else 5
    for size in (1, 2):
        if end - size < 0:
            continue
        glued, rest = uwords[end - size], uwords[end - size + 1 : end]
        last_cut = len(glued) - (least if size == 1 else 1) + 1
        for cut in range(1 if not glued[0].isalpha() else 2, last_cut):
            place = " ".join([glued[cut:], *rest])
            if len(place) < least:
                break
            if (place in bw.CITIES and place not in bw.WORDLIKE_CITIES) or (
                len(place) >= 7 and place in bw.CITY_PREFIXES
            ):
                words[end - size], uwords[end - size] = words[end - size][:cut], glued[:cut]
                return size - 1
    return None


def _is_trailer(uwords: list[str], n: int) -> bool:
    """Whether the name's last word is a web address, or a marker after a date or a state."""
    last, prev = uwords[n - 1], uwords[n - 2] if n > 2 else ""
    if last in bw.TAIL_WORDS_WEAK and prev:
        return _is_junk(prev) or prev in bw.US_STATES or prev in bw.TAIL_WORDS
    if last in bw.TRUNCATED_MARKERS and prev:
        return _is_junk(prev)
    return _is_locator(uwords[: n - 1], last, host=False)


def _is_junk(word: str) -> bool:
    """Dates, ids, amounts, phone numbers, masked digits, weekdays: never part of a name."""
    return word in bw.WEEKDAYS if word.isalpha() else bw.JUNK.fullmatch(word) is not None


def _is_locator(name: list[str], word: str, *, host: bool) -> bool:
    """A web address, or the merchant's own host (``CABRERACLOSET``), printed as its city."""
    if ("." in word or "/" in word or ":" in word) and bw.URL.fullmatch(word):
        return True
    if host and bw.HOST.fullmatch(word):
        return True
    return (
        len(word) >= 6
        and word.isalnum()
        and "".join(w for w in name if w not in bw.PROCESSORS).startswith(word[:8])
    )


def _strip_ach(
    words: list[str], uwords: list[str], n: int, up: str, at_end: bool
) -> tuple[int, int]:
    """Remove NACHA entry descriptions (``PAYROLL``, ``WEB PMTS``) around an ACH company name.

    Descriptions that also end real names (``INSURANCE``) go only from lines that look like ACH
    entries, or in capitals after a full 16-character company field (``Tidewater Mutual
    Insurance`` keeps its last word).
    """
    ach: list[bool] = []

    def is_ach() -> bool:
        if not ach:
            ach.append(bw.ACH_LINE.search(up) is not None)
        return ach[0]

    cut_off = at_end and n > 1 and len(uwords[n - 1]) >= 2 and uwords[n - 1] not in bw.ACH_WORDS
    if cut_off and any(w.startswith(uwords[n - 1]) for w in bw.ACH_CUT_OFF) and is_ach():
        n -= 1
    for _ in range(3):
        if n < 2 or uwords[n - 1] not in bw.ACH_LAST:
            break
        size = 2 if n > 2 and " ".join(uwords[n - 2 : n]) in bw.ACH_WORDS else 1
        if uwords[n - size] == uwords[n - 1] and uwords[n - 1] not in bw.ACH_WORDS:
            break
        company = " ".join(uwords[: n - size])
        ambiguous = " ".join(uwords[n - size : n]) in bw.ACH_WORDS_AMBIGUOUS
        full = len(company) == 16 and words[n - 1].isupper()
        if ambiguous and not full and not is_ach():
            break
        n -= size
    first = 0
    if n > 1 and uwords[0] in bw.ACH_FIRST:
        first = (
            2 if n > 2 and " ".join(uwords[:2]) in bw.ACH_WORDS else int(uwords[0] in bw.ACH_WORDS)
        )
        if " ".join(uwords[:first]) in bw.ACH_WORDS_AMBIGUOUS and not is_ach():
            first = 0
    return n, first


def _tidy(words: list[str], uwords: list[str]) -> tuple[list[str], list[str]]:
    """Punctuation, web suffixes, ``&`` spacing, split possessives and repeated words."""
    out: list[str] = []
    uout: list[str] = []
    for word, uword in zip(words, uwords, strict=True):
        repeated = uout and uword == uout[-1] and uword in bw.STORE_WORDS
        if uword.isalnum() and uword != "S" and not repeated:
            out.append(word)
            uout.append(uword)
            continue
        domain = bw.DOMAIN.fullmatch(uword) if "." in uword else None
        if domain is not None:
            word, uword = word[word.find(".") + 1 :] if uword.startswith("WWW.") else word, ""
            word = word[: len(domain.group(1))]
            uword = word.upper()
        word, uword = word.strip(".,;:*-/#\"'()"), uword.strip(".,;:*-/#\"'()")
        if not uword:
            continue
        if "&" in uword and len(uword) > 3:
            for part in bw.AMP.sub(" & ", word).split():
                out.append(part)
                uout.append(part.upper())
            continue
        if uword == "S" and uout and len(uout[-1]) >= 2 and uout[-1].isalpha():
            out[-1], uout[-1] = f"{out[-1]}'{word}", uout[-1] + "'S"
            continue
        if repeated:
            continue
        out.append(word)
        uout.append(uword)
    while len(uout) > 1 and uout[-1] in bw.DANGLING:
        del out[-1], uout[-1]
    return out, uout


def _display_text(text: str) -> str:
    words = text.split()
    return _display(words, [w.upper() for w in words])


def _display(words: list[str], uwords: list[str]) -> str:
    """Readable case: title case, small words lower, acronyms upper, bank mixed case kept."""
    out = []
    for i, (word, uword) in enumerate(zip(words, uwords, strict=True)):
        if uword in ("AND", "N") and 0 < i < len(words) - 1 and len(uwords[i - 1]) > 1:
            out.append("&")
        else:
            out.append(_case_word(word, uword, i == 0))
    return " ".join(out)


@lru_cache(maxsize=16384)
def _case_word(word: str, uword: str, first: bool) -> str:
    fixed = bw.ACRONYMS.get(uword) or bw.BRAND_CASE.get(uword)
    if fixed is not None:
        return fixed
    if not (word.isupper() or word.islower() or word == word.title()):
        return word
    if "&" in uword and len(uword) <= 5:
        return uword
    if uword in bw.ABBREVIATIONS:
        return bw.ABBREVIATIONS[uword]
    lower = word.lower()
    if not first and lower in bw.SMALL_WORDS:
        return lower
    if len(uword) <= 3 and uword.isalpha() and _VOWELS.isdisjoint(uword):
        return uword if uword not in bw.TITLE_ABBREVIATIONS else word.capitalize()
    if lower == "co-op":
        return "Co-op"
    return "-".join(_capitalize(part) for part in lower.split("-"))


def _capitalize(part: str) -> str:
    if not part:
        return part
    if part[0].isdigit():
        return part if re.fullmatch(r"\d+(?:st|nd|rd|th|s)", part) else part.upper()
    if part.startswith("mc") and len(part) > 3 and part[2].isalpha():
        return "Mc" + part[2].upper() + part[3:]
    if len(part) > 3 and part[1] == "'" and part[2:].isalpha():
        return part[0].upper() + "'" + part[2].upper() + part[3:]
    return part[0].upper() + part[1:]

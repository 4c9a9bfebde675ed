#!/usr/bin/env python3
"""Deterministic generator of Chaperone's labelled masking corpus (issue 6).

    python3 Benchmarks/masking-corpus/generate.py                 # 6,000 items -> corpus.jsonl
    python3 Benchmarks/masking-corpus/generate.py -n 1500 -o /tmp/c.jsonl --seed 7

Every item is one JSON line:

    {"id": "mc-000042", "kind": "log", "text": "...",
     "spans": [{"start": 17, "end": 33, "entity": "EMAIL", "format": "dotted_local"}],
     "negatives": [{"start": 40, "end": 59, "kind": "card_luhn_invalid"}]}

`start`/`end` are offsets in Python *characters* (code points) of `text`, end exclusive.
`spans` are the values that must be masked (the gold labels); `negatives` mark planted
look-alikes that must NOT be masked (Luhn-invalid card numbers, never-issued SSNs, GitHub
tokens with a wrong CRC-32 tail, ...). Text outside both is filler chosen so that it holds
no personal data or secret (dates, amounts, versions, UUIDs, hashes are allowed filler and
are also planted as named negatives).

The generator, not corpus.jsonl, is the source of truth: the same seed and size always give
the same bytes (Python's `random.Random` is stable across versions for the calls used here;
no hash-order-dependent iteration is involved).

Checksummed values are generated to be valid: payment cards are Luhn-valid with real
issuer prefixes and lengths, IBANs carry correct ISO 7064 mod-97 check digits for their
country's registered length, SSNs are in issuable ranges, GitHub/npm tokens end in the
base62 CRC-32 of their 30 random characters, BSNs pass the 11-test, DNI/NIE carry the
right control letter, NINOs use allocatable prefixes, JWT headers are real JOSE headers.
All values are random or from documentation ranges; none is a real credential.

`format` names the written shape of a value. A few shapes are deliberately outside what
Chaperone's detectors document (see `evaluate.CHAPERONE_UNCLAIMED_FORMATS`); they are kept
because people write them, and the evaluation reports them separately.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import string
import sys
import zlib
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
DEFAULT_SEED = 20240601
DEFAULT_SIZE = 6000

ENTITIES = [
    "EMAIL", "PHONE", "CREDIT_CARD", "US_SSN", "IBAN", "IP_ADDRESS", "UK_NINO", "ES_DNI", "NL_BSN",
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GITHUB_TOKEN", "NPM_TOKEN", "OPENAI_KEY", "ANTHROPIC_KEY",
    "SLACK_TOKEN", "GOOGLE_API_KEY", "STRIPE_KEY", "JWT", "PRIVATE_KEY", "GENERIC_SECRET",
]
SECRET_ENTITIES = {
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "GITHUB_TOKEN", "NPM_TOKEN", "OPENAI_KEY", "ANTHROPIC_KEY",
    "SLACK_TOKEN", "GOOGLE_API_KEY", "STRIPE_KEY", "JWT", "PRIVATE_KEY", "GENERIC_SECRET",
}

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
B64URL = ALNUM + "-_"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"
BASE32 = string.ascii_uppercase + "234567"

# --------------------------------------------------------------------------- fillers

FIRST = ["James", "Mary", "Olivia", "Liam", "Noah", "Emma", "Ava", "Lucas", "Mia", "Ethan", "Sofia",
         "José", "Zoë", "Søren", "Chloé", "Łukasz", "Ana", "Priya", "Wei", "Yuki", "Fatima", "Omar",
         "Hannah", "Daan", "Sanne", "Pablo", "Lucía", "Oliver", "Amelia", "Jack", "Freya", "Niamh",
         "Mateo", "Ingrid", "Kofi", "Aisha", "Dmitri", "Elena", "Tom", "Grace", "Ravi", "Mei"]
LAST = ["Smith", "Johnson", "Brown", "García", "Müller", "Jansen", "de Vries", "Rossi", "Kowalski",
        "Nguyen", "Patel", "O'Brien", "Martin", "Dubois", "Schneider", "Fernández", "Bakker", "Silva",
        "Taylor", "Williams", "Novak", "Andersen", "Tanaka", "Kim", "Okafor", "Ivanova", "Visser",
        "López", "Wright", "Evans", "Murphy", "Clarke", "Haddad", "Lindqvist", "Moreau", "Weber"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Cyberdyne",
             "Tyrell", "Soylent", "Vandelay", "Massive Dynamic", "Aperture", "Northwind", "Contoso"]
DOMAINS = ["example.com", "example.org", "example.net", "acme-corp.io", "globex.de", "initech.com",
           "mail.example.co.uk", "contoso.fr", "northwind.nl", "fabrikam.es", "corp.example.com",
           "gmail.com", "outlook.com", "yahoo.co.jp", "proton.me", "uni-example.edu", "hooli.xyz",
           "stark-industries.us", "eu.mail.example.org", "startup.dev", "web.de", "wanadoo.fr"]
CITIES = ["London", "Berlin", "Zürich", "São Paulo", "Kraków", "Amsterdam", "Madrid", "Lyon",
          "Dublin", "Austin", "Toronto", "Osaka", "Málaga", "Göteborg", "Utrecht", "Seattle"]
SERVICES = ["api-gateway", "billing-svc", "auth", "checkout", "worker-3", "ingest", "search",
            "notifier", "payments", "ledger", "web", "scheduler"]
PRODUCTS = ["Pro plan", "Team plan", "annual licence", "support bundle", "starter kit", "API credits"]
TOPICS = ["the quarterly report", "the migration plan", "our onboarding flow", "the outage postmortem",
          "the vendor contract", "the new pricing page", "the release notes", "the design review"]
EMOJI = ["🙂", "👍", "🙏", "🚀", "😅", "✅"]
WORDS = ["alpha", "bravo", "delta", "orbit", "maple", "cedar", "harbor", "falcon", "quartz",
         "ember", "summit", "meadow", "willow", "copper", "signal", "vector"]


def luhn_check_digit(partial: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(partial)):
        digit = int(ch)
        if index % 2 == 0:  # these positions get doubled once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(number)):
        digit = int(ch)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def base62_crc32(random_part: str) -> str:
    value = zlib.crc32(random_part.encode()) & 0xFFFFFFFF
    digits = []
    while value:
        digits.append(B62[value % 62])
        value //= 62
    return "".join(reversed(digits)).rjust(6, "0")


def iban_check_digits(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    numeric = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(numeric) % 97 == 1


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


class Gen:
    """Value generators; every method draws from one seeded `random.Random`."""

    def __init__(self, rng: random.Random):
        self.r = rng

    # ---- primitives
    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def digits(self, n: int) -> str:
        return self.chars(string.digits, n)

    def pick(self, seq):
        return self.r.choice(seq)

    def weighted(self, options: list[tuple[str, float]]) -> str:
        names, weights = zip(*options)
        return self.r.choices(names, weights=weights)[0]

    # ---- fillers
    def first(self) -> str:
        return self.pick(FIRST)

    def last(self) -> str:
        return self.pick(LAST)

    def date(self) -> str:
        y, m, d = self.r.randint(2019, 2025), self.r.randint(1, 12), self.r.randint(1, 28)
        shape = self.r.randint(0, 3)
        if shape == 0:
            return f"{y}-{m:02d}-{d:02d}"
        if shape == 1:
            return f"{d:02d}.{m:02d}.{y}"
        if shape == 2:
            return f"{m:02d}/{d:02d}/{y}"
        return f"{d} {['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]} {y}"

    def ts(self) -> str:
        return (f"{self.r.randint(2023, 2025)}-{self.r.randint(1, 12):02d}-{self.r.randint(1, 28):02d}T"
                f"{self.r.randint(0, 23):02d}:{self.r.randint(0, 59):02d}:{self.r.randint(0, 59):02d}."
                f"{self.r.randint(0, 999):03d}Z")

    def amount(self) -> str:
        return f"{self.pick(['$', '€', '£'])}{self.r.randint(1, 9999)}.{self.r.randint(0, 99):02d}"

    def version(self) -> str:
        return f"{self.r.randint(0, 9)}.{self.r.randint(0, 30)}.{self.r.randint(0, 20)}"

    def uuid(self) -> str:
        h = self.chars(HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.pick('89ab')}{h[17:20]}-{h[20:]}"

    def sha(self, n: int = 40) -> str:
        return self.chars(HEX, n)

    def fill(self, name: str) -> str:
        r = self.r
        table: dict[str, Callable[[], str]] = {
            "first": self.first, "last": self.last,
            "name": lambda: f"{self.first()} {self.last()}",
            "company": lambda: self.pick(COMPANIES), "city": lambda: self.pick(CITIES),
            "service": lambda: self.pick(SERVICES), "product": lambda: self.pick(PRODUCTS),
            "topic": lambda: self.pick(TOPICS), "emoji": lambda: self.pick(EMOJI),
            "word": lambda: self.pick(WORDS), "date": self.date, "ts": self.ts, "amount": self.amount,
            "version": self.version, "uuid": self.uuid, "sha": self.sha, "short_sha": lambda: self.sha(7),
            "n": lambda: str(r.randint(2, 99)), "ms": lambda: str(r.randint(3, 2500)),
            "status": lambda: self.pick(["200", "201", "204", "400", "401", "403", "404", "429", "500", "502"]),
            "port": lambda: str(r.randint(1024, 65535)), "pid": lambda: str(r.randint(100, 99999)),
            "env": lambda: self.pick(["prod", "staging", "dev", "qa"]),
            "region": lambda: self.pick(["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]),
            "skey": self.secret_key_name, "repo": lambda: f"{self.pick(WORDS)}-{self.pick(SERVICES)}",
            "order": lambda: str(r.randint(10000, 999999)),
        }
        return table[name]()

    def secret_key_name(self) -> str:
        return self.pick(["password", "db_password", "DB_PASSWORD", "client_secret", "CLIENT_SECRET",
                          "api_key", "API_KEY", "apiKey", "auth_token", "access_token", "SECRET",
                          "jwt_secret", "SMTP_PASSWORD", "passwd", "webhook_secret", "REDIS_PASSWORD",
                          "refresh_token", "app_secret", "ACCESS_KEY", "x-api-key"])

    # ---- entities: each returns (value, format)
    def email(self) -> tuple[str, str]:
        f, l = self.first(), self.last()
        ascii_f = re.sub(r"[^a-z]", "", f.lower().translate(str.maketrans("éëøółíú", "eeoolíu"))) or "user"
        ascii_l = re.sub(r"[^a-z]", "", l.lower().translate(str.maketrans("íáüé", "iaue"))) or "name"
        shape = self.weighted([("dotted_local", 4), ("initial_local", 2), ("plus_tag", 1),
                               ("underscore_digits", 2), ("role", 1), ("upper_case", 0.5)])
        local = {
            "dotted_local": f"{ascii_f}.{ascii_l}",
            "initial_local": f"{ascii_f[0]}{ascii_l}",
            "plus_tag": f"{ascii_f}+{self.pick(['news', 'billing', 'test', 'gh'])}",
            "underscore_digits": f"{ascii_f}_{ascii_l}{self.r.randint(1, 99)}",
            "role": self.pick(["support", "billing", "hr", "admin", "no-reply", "security"]),
            "upper_case": f"{ascii_f.capitalize()}.{ascii_l.capitalize()}",
        }[shape]
        domain = self.pick(DOMAINS)
        if shape == "upper_case":
            domain = domain.upper()
        return f"{local}@{domain}", shape

    def phone(self, shape: str | None = None) -> tuple[str, str]:
        r = self.r
        shape = shape or self.weighted([
            ("nanp_dashes", 3), ("nanp_parens", 2), ("nanp_dots", 1), ("nanp_spaces", 1), ("nanp_1_800", 1),
            ("e164_us", 2), ("e164_us_compact", 1), ("e164_uk", 2), ("e164_uk_trunk", 1), ("e164_de", 2),
            ("e164_nl", 1), ("e164_fr", 1.5), ("uk_national", 2), ("uk_mobile", 2), ("de_national", 2),
            ("de_slash", 1), ("fr_national", 1)])
        area = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}"
        while area[1:] == "11":
            area = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(0, 9)}"
        exch = self.pick(["555", f"{r.randint(2, 9)}{self.digits(2)}"])
        line = f"01{self.digits(2)}" if exch == "555" else self.digits(4)
        value = {
            "nanp_dashes": f"{area}-{exch}-{line}",
            "nanp_parens": f"({area}) {exch}-{line}",
            "nanp_dots": f"{area}.{exch}.{line}",
            "nanp_spaces": f"{area} {exch} {line}",
            "nanp_1_800": f"1-{self.pick(['800', '888', '877'])}-{exch}-{line}",
            "e164_us": f"+1 {area} {exch} {line}",
            "e164_us_compact": f"+1{area}{exch}{line}",
            "e164_uk": self.pick([f"+44 {self.pick(['20 7946', '161 496', '113 496'])} {self.digits(4)}",
                                  f"+44 7700 900{self.digits(3)}", f"+44 7{self.digits(3)} {self.digits(6)}"]),
            "e164_uk_trunk": f"+44 (0){self.pick(['20 7946', '161 496'])} {self.digits(4)}",
            "e164_de": f"+49 {self.pick(['30', '89', '40', '151', '170'])} {self.digits(r.randint(6, 8))}",
            "e164_nl": (f"+31 6 {self.digits(8)}" if r.random() < 0.4
                        else f"+31 {self.pick(['20', '10', '30'])} {self.digits(3)} {self.digits(4)}"),
            "e164_fr": f"+33 {r.randint(1, 7)} {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
            "uk_national": f"0{self.pick(['20', '161', '113', '131'])} {self.digits(3 if r.random() < 0.5 else 4)} {self.digits(4)}",
            "uk_mobile": f"07{self.digits(3)} {self.digits(6)}",
            "de_national": f"0{self.pick(['30', '89', '40', '221'])} {self.digits(r.randint(6, 8))}",
            "de_slash": f"0{self.pick(['30', '89', '69'])}/{self.digits(r.randint(6, 8))}",
            "fr_national": f"0{r.randint(1, 7)} {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
        }[shape]
        return value, shape

    CARD_ISSUERS = [  # (format name, prefix generator, lengths, weight)
        ("visa", lambda g: "4", [16, 16, 16, 13, 19], 5),
        ("mastercard", lambda g: str(g.r.randint(51, 55)), [16], 3),
        ("mastercard_2series", lambda g: str(g.r.randint(2221, 2720)), [16], 1.5),
        ("amex", lambda g: g.pick(["34", "37"]), [15], 2),
        ("discover", lambda g: g.pick(["6011", "65", str(g.r.randint(644, 649))]), [16], 1.5),
        ("jcb", lambda g: str(g.r.randint(3528, 3589)), [16], 1),
        ("diners", lambda g: g.pick(["36", "38", str(g.r.randint(300, 305))]), [14], 1),
        ("unionpay", lambda g: "62", [16, 19], 1),
    ]

    def card_digits(self, prefix: str, length: int, valid: bool = True) -> str:
        body = prefix + self.digits(length - len(prefix) - 1)
        check = luhn_check_digit(body)
        if not valid:
            check = str((int(check) + self.r.randint(1, 9)) % 10)
        return body + check

    @staticmethod
    def group_card(number: str, sep: str) -> str:
        n = len(number)
        if n == 15:
            parts = [number[:4], number[4:10], number[10:]]
        elif n == 14:
            parts = [number[:4], number[4:10], number[10:]]
        elif n == 13:
            return number
        else:
            parts = [number[i:i + 4] for i in range(0, n, 4)]
        return sep.join(parts)

    def credit_card(self) -> tuple[str, str]:
        issuer = self.r.choices(self.CARD_ISSUERS, weights=[w for *_, w in self.CARD_ISSUERS])[0]
        name, prefix_fn, lengths, _ = issuer
        length = self.pick(lengths)
        number = self.card_digits(prefix_fn(self), length)
        layout = self.weighted([("spaces", 4), ("contiguous", 3), ("dashes", 2)])
        if layout != "contiguous":
            number = self.group_card(number, " " if layout == "spaces" else "-")
            if len(number.replace(" ", "").replace("-", "")) == 13:
                layout = "contiguous"
        return number, f"{name}_{length}_{layout}"

    def ssn_parts(self) -> tuple[int, int, int]:
        while True:
            area = self.r.randint(1, 899)
            group, serial = self.r.randint(1, 99), self.r.randint(1, 9999)
            if area != 666 and (area, group, serial) not in [(78, 5, 1120), (219, 9, 9999), (123, 45, 6789)]:
                return area, group, serial

    def us_ssn(self) -> tuple[str, str]:
        a, g, s = self.ssn_parts()
        shape = self.weighted([("dashed", 8), ("spaced", 1.2), ("nodash_keyword", 0.8)])
        sep = {"dashed": "-", "spaced": " ", "nodash_keyword": ""}[shape]
        return f"{a:03d}{sep}{g:02d}{sep}{s:04d}", shape

    IBAN_FORMATS = {  # country: BBAN layout (n digit, a upper letter, c upper alnum), bank codes
        "DE": ("18n", None), "GB": ("4a14n", ["NWBK", "BARC", "HBUK", "LOYD", "MIDL"]),
        "FR": ("10n11c2n", None), "NL": ("4a10n", ["ABNA", "RABO", "INGB", "TRIO", "SNSB"]),
        "ES": ("20n", None), "IT": ("1a10n12c", None), "BE": ("12n", None), "CH": ("5n12c", None),
        "AT": ("16n", None), "PL": ("24n", None), "PT": ("21n", None),
        "IE": ("4a14n", ["AIBK", "BOFI", "IPBS"]), "SE": ("20n", None), "DK": ("14n", None),
        "NO": ("11n", None), "FI": ("14n", None), "LU": ("3n13c", None),
    }

    def bban(self, country: str) -> str:
        layout, banks = self.IBAN_FORMATS[country]
        out = ""
        for count, kind in re.findall(r"(\d+)([nac])", layout):
            count = int(count)
            if kind == "a" and banks and not out:
                out += self.pick(banks)[:count]
            elif kind == "n":
                out += self.digits(count)
            elif kind == "a":
                out += self.chars(string.ascii_uppercase, count)
            else:
                out += self.chars(string.ascii_uppercase + string.digits * 3, count)
        return out

    def iban(self, valid: bool = True) -> tuple[str, str]:
        country = self.weighted([(c, 3 if c in ("DE", "GB", "FR", "NL", "ES") else 1) for c in self.IBAN_FORMATS])
        bban = self.bban(country)
        check = iban_check_digits(country, bban)
        if not valid:
            check = f"{(int(check) + self.r.randint(1, 96)) % 97:02d}"
            if iban_valid(country + check + bban):  # pragma: no cover - cannot happen, kept as a guard
                check = f"{(int(check) + 1) % 100:02d}"
        compact = country + check + bban
        spaced = self.r.random() < 0.5
        value = " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if spaced else compact
        return value, f"{country}_{'printed' if spaced else 'compact'}"

    def ip_address(self) -> tuple[str, str]:
        r = self.r
        shape = self.weighted([("ipv4_public", 4), ("ipv4_private", 3), ("ipv4_doc", 2), ("ipv6_full", 1),
                               ("ipv6_compressed", 2), ("ipv6_link_local", 1), ("ipv6_mapped_v4", 0.7)])
        if shape == "ipv4_public":
            first = r.choice([23, 34, 52, 81, 91, 104, 141, 151, 185, 212, 217])
            return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}", shape
        if shape == "ipv4_private":
            return self.pick([f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
                              f"192.168.{r.randint(0, 255)}.{r.randint(1, 254)}",
                              f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}"]), shape
        if shape == "ipv4_doc":
            return f"{self.pick(['192.0.2', '198.51.100', '203.0.113'])}.{r.randint(1, 254)}", shape
        groups = lambda n: [format(r.randint(0, 0xFFFF), "x") for _ in range(n)]
        if shape == "ipv6_full":
            g = ["2001", "0db8"] + [format(r.randint(0, 0xFFFF), "04x") for _ in range(6)]
            return ":".join(g), shape
        if shape == "ipv6_compressed":
            head = self.pick(["2001:db8", "2a00:1450", "2606:4700", "2001:67c:2e8"])
            return f"{head}::{':'.join(groups(r.randint(1, 3)))}", shape
        if shape == "ipv6_link_local":
            return f"fe80::{':'.join(groups(4))}", shape
        return f"::ffff:{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}", shape

    NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
    NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"

    def uk_nino(self) -> tuple[str, str]:
        while True:
            prefix = self.pick(self.NINO_FIRST) + self.pick(self.NINO_SECOND)
            if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
                break
        d = self.digits(6)
        suffix = self.pick("ABCD")
        if self.r.random() < 0.45:
            return f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}", "printed"
        return f"{prefix}{d}{suffix}", "compact"

    def es_dni(self, valid: bool = True) -> tuple[str, str]:
        nie = self.r.random() < 0.3
        if nie:
            lead = self.pick("XYZ")
            digits = self.digits(7)
            number = int(str("XYZ".index(lead)) + digits)
            body = lead + digits
        else:
            digits = self.digits(8)
            number = int(digits)
            body = digits
        letter = DNI_LETTERS[number % 23]
        if not valid:
            letter = self.pick([c for c in DNI_LETTERS if c != letter])
        sep = self.weighted([("", 6), ("-", 2), (" ", 1)])
        shape = ("nie" if nie else "dni") + {"": "_compact", "-": "_dash", " ": "_space"}[sep]
        return f"{body}{sep}{letter}", shape

    def bsn_digits(self, valid: bool = True) -> str:
        while True:
            d = [self.r.randint(1, 9)] + [self.r.randint(0, 9) for _ in range(7)]
            s = sum((9 - i) * d[i] for i in range(8))
            last = s % 11
            if valid and last <= 9 and s - last != 0:
                return "".join(map(str, d)) + str(last)
            if not valid:
                wrong = [x for x in range(10) if (s - x) % 11 != 0]
                return "".join(map(str, d)) + str(self.pick(wrong))

    def nl_bsn(self) -> tuple[str, str]:
        return self.bsn_digits(), "digits"

    def aws_access_key(self) -> tuple[str, str]:
        prefix = "ASIA" if self.r.random() < 0.15 else "AKIA"
        return prefix + self.chars(BASE32, 16), prefix.lower()

    def aws_secret_key(self) -> tuple[str, str]:
        return self.chars(B64, 40), "base64_40"

    def github_token(self) -> tuple[str, str]:
        if self.r.random() < 0.2:
            return f"github_pat_{self.chars(B62, 22)}_{self.chars(B62, 59)}", "github_pat"
        prefix = self.weighted([("ghp_", 5), ("gho_", 1), ("ghu_", 1), ("ghs_", 1.5), ("ghr_", 0.5)])
        random_part = self.chars(B62, 30)
        return prefix + random_part + base62_crc32(random_part), prefix.rstrip("_")

    def npm_token(self) -> tuple[str, str]:
        random_part = self.chars(B62, 30)
        return "npm_" + random_part + base62_crc32(random_part), "npm"

    def openai_key(self) -> tuple[str, str]:
        shape = self.weighted([("legacy", 2), ("proj", 4), ("svcacct", 1), ("admin", 0.5)])
        if shape == "legacy":
            return f"sk-{self.chars(ALNUM, 20)}T3BlbkFJ{self.chars(ALNUM, 20)}", shape
        side = 74 if shape != "admin" else 58
        return f"sk-{shape}-{self.chars(B64URL, side)}T3BlbkFJ{self.chars(B64URL, side)}", shape

    def anthropic_key(self) -> tuple[str, str]:
        kind = "admin01" if self.r.random() < 0.15 else "api03"
        return f"sk-ant-{kind}-{self.chars(B64URL, 93)}AA", kind

    def slack_token(self, shape: str | None = None) -> tuple[str, str]:
        r = self.r
        shape = shape or self.weighted([("xoxb", 5), ("xoxp", 3), ("xoxa", 0.7), ("xoxs", 0.5)])
        if shape == "xoxb":
            return f"xoxb-{self.digits(r.randint(10, 13))}-{self.digits(r.randint(10, 13))}-{self.chars(ALNUM, 24)}", shape
        if shape == "xoxp":
            ids = "-".join(self.digits(r.randint(10, 13)) for _ in range(3))
            return f"xoxp-{ids}-{self.chars(HEX, 32)}", shape
        if shape == "xoxa":
            return f"xoxa-2-{self.chars(ALNUM, r.randint(30, 44))}", shape
        if shape == "xoxs":
            ids = "-".join(self.digits(r.randint(9, 12)) for _ in range(3))
            return f"xoxs-{ids}-{self.chars(HEX, 64)}", shape
        return (f"https://hooks.slack.com/services/T{self.chars(BASE32, 8)}/B{self.chars(BASE32, 10)}/"
                f"{self.chars(ALNUM, 24)}"), shape

    def google_api_key(self) -> tuple[str, str]:
        return "AIzaSy" + self.chars(B64URL, 33), "aiza"

    def stripe_key(self) -> tuple[str, str]:
        kind = "rk_live" if self.r.random() < 0.2 else "sk_live"
        if self.r.random() < 0.4:
            return f"{kind}_{self.chars(ALNUM, 24)}", f"{kind}_24"
        return f"{kind}_51{self.chars(ALNUM, 97)}", f"{kind}_99"

    def jwt(self, with_alg: bool = True) -> tuple[str, str]:
        r = self.r
        alg = self.weighted([("HS256", 4), ("RS256", 3), ("ES256", 2)])
        header = {"alg": alg, "typ": "JWT"}
        if alg != "HS256" and r.random() < 0.6:
            header["kid"] = self.chars(ALNUM, 16)
        if not with_alg:
            header = {"typ": "JWT", "cty": "text/plain"} if r.random() < 0.5 else {"ver": "1", "enc": "none-here"}
        if r.random() < 0.5:
            header = dict(reversed(list(header.items())))
        iat = r.randint(1_650_000_000, 1_760_000_000)
        payload = {"sub": self.uuid() if r.random() < 0.5 else str(r.randint(1000, 99999999)),
                   "iat": iat, "exp": iat + r.choice([300, 3600, 86400])}
        if r.random() < 0.6:
            payload["iss"] = f"https://auth.{self.pick(DOMAINS)}/"
        if r.random() < 0.4:
            payload["scope"] = self.pick(["read write", "openid profile email", "admin"])
        compact = r.random() < 0.7
        dumps = (lambda o: json.dumps(o, separators=(",", ":"))) if compact else json.dumps
        sig_len = {"HS256": 32, "RS256": 256, "ES256": 64}[alg]
        token = ".".join([b64url(dumps(header).encode()), b64url(dumps(payload).encode()),
                          b64url(bytes(r.getrandbits(8) for _ in range(sig_len)))])
        return token, alg.lower()

    PEM_KINDS = [  # label, body bytes, body prefix bytes, weight
        ("EC PRIVATE KEY", 121, b"\x30\x77\x02\x01\x01\x04\x20", 3),
        ("PRIVATE KEY", 48, b"\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70", 3),
        ("OPENSSH PRIVATE KEY", 387, b"openssh-key-v1\x00", 3),
        ("RSA PRIVATE KEY", 1190, b"\x30\x82\x04\xa2\x02\x01\x00\x02\x82\x01\x01\x00", 1),
        ("ENCRYPTED PRIVATE KEY", 330, b"\x30\x82\x01\x46\x30\x51\x06\x09\x2a\x86\x48", 0.7),
        ("DSA PRIVATE KEY", 444, b"\x30\x82\x01\xbb\x02\x01\x00", 0.3),
    ]

    def private_key(self, shape: str | None = None) -> tuple[str, str]:
        kinds = self.PEM_KINDS
        label, size, head, _ = self.r.choices(kinds, weights=[k[3] for k in kinds])[0]
        body = head + bytes(self.r.getrandbits(8) for _ in range(size - len(head)))
        encoded = base64.b64encode(body).decode()
        width = 70 if label == "OPENSSH PRIVATE KEY" else 64
        lines = [encoded[i:i + width] for i in range(0, len(encoded), width)]
        escaped = shape == "json_escaped" or (shape is None and self.r.random() < 0.15)
        nl = "\\n" if escaped else "\n"
        block = f"-----BEGIN {label}-----{nl}" + nl.join(lines) + f"{nl}-----END {label}-----"
        return block, label.lower().replace(" ", "_") + ("_json_escaped" if escaped else "")

    def generic_secret(self, shape: str | None = None) -> tuple[str, str]:
        n = self.r.randint(16, 48)
        alphabet = ALNUM if shape == "url_userinfo" else ALNUM * 6 + "!#$%*+-._~^"
        value = self.chars(alphabet, n)
        while value[0] in "-.": value = self.pick(ALNUM) + value[1:]
        return value, shape or "random"

    def entity(self, name: str, fmt: str | None = None) -> tuple[str, str]:
        """A value of entity `name`; `fmt` forces a shape where the generator has several."""
        shaped = {"PHONE": self.phone, "SLACK_TOKEN": self.slack_token, "PRIVATE_KEY": self.private_key,
                  "GENERIC_SECRET": self.generic_secret}
        if name in shaped:
            value, shape = shaped[name](fmt)
            return value, fmt or shape
        fn = {
            "EMAIL": self.email, "CREDIT_CARD": self.credit_card, "US_SSN": self.us_ssn, "IBAN": self.iban,
            "IP_ADDRESS": self.ip_address, "UK_NINO": self.uk_nino, "ES_DNI": self.es_dni,
            "NL_BSN": self.nl_bsn, "AWS_ACCESS_KEY": self.aws_access_key, "AWS_SECRET_KEY": self.aws_secret_key,
            "GITHUB_TOKEN": self.github_token, "NPM_TOKEN": self.npm_token, "OPENAI_KEY": self.openai_key,
            "ANTHROPIC_KEY": self.anthropic_key, "SLACK_TOKEN": self.slack_token,
            "GOOGLE_API_KEY": self.google_api_key, "STRIPE_KEY": self.stripe_key, "JWT": self.jwt,
            "PRIVATE_KEY": self.private_key, "GENERIC_SECRET": self.generic_secret,
        }[name]
        return fn()

    # ---- hard negatives: look-alikes that must not be masked
    def negative(self, kind: str) -> str:
        r = self.r
        if kind == "card_luhn_invalid":
            name, prefix_fn, lengths, _ = self.pick(self.CARD_ISSUERS[:4])
            number = self.card_digits(prefix_fn(self), self.pick(lengths), valid=False)
            return self.group_card(number, self.pick([" ", "-", ""])) if r.random() < 0.5 else number
        if kind == "card_unknown_issuer":
            number = self.card_digits(self.pick(["1", "7", "8", "9", "31", "33"]), 16)
            return self.group_card(number, " ") if r.random() < 0.4 else number
        if kind == "card_wrong_length":
            number = self.pick([self.card_digits("4", 15), self.card_digits("37", 16), self.card_digits("51", 15),
                                self.card_digits("4", 17)])
            return number
        if kind == "ssn_never_issued":
            area = self.pick(["000", "666", str(r.randint(900, 999))])
            return f"{area}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"
        if kind == "ssn_zero_group_serial":
            a, g, s = self.ssn_parts()
            return f"{a:03d}-00-{s:04d}" if r.random() < 0.5 else f"{a:03d}-{g:02d}-0000"
        if kind == "ssn_published_sample":
            return self.pick(["078-05-1120", "219-09-9999", "123-45-6789"])
        if kind == "iban_bad_checksum":
            return self.iban(valid=False)[0]
        if kind in ("github_bad_checksum", "github_bad_checksum_after_keyword"):
            prefix = self.pick(["ghp_", "gho_", "ghs_", "ghu_"])
            while True:
                body = self.chars(B62, 36)
                if base62_crc32(body[:30]) != body[30:]:
                    return prefix + body
        if kind == "npm_bad_checksum":
            body = self.chars(B62, 36)
            return "npm_" + body
        if kind == "ip_version_context":
            ver = f"{r.randint(1, 20)}.{r.randint(0, 9)}.{r.randint(0, 40)}.{r.randint(0, 255)}"
            return f"{self.pick(['version', 'Version', 'ver', 'release', 'build', 'firmware'])} {ver}" \
                if r.random() < 0.7 else f"v{ver}"
        if kind == "ip_dotted_run":
            return self.pick([f"1.3.6.1.4.1.{r.randint(1000, 60000)}", f"1.3.6.1.2.1.{r.randint(1, 99)}.{r.randint(1, 9)}",
                              f"{r.randint(1, 9)}.{r.randint(1, 9)}.{r.randint(1, 9)}.{r.randint(1, 9)}.{r.randint(1, 9)}"])
        if kind == "ip_suffixed":
            return f"{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}-{self.pick(['rc1', 'beta', 'SNAPSHOT', 'alpha2'])}"
        if kind == "ipv6_lookalike":
            return self.pick([
                f"std::{self.pick(['vector', 'chrono::seconds', 'string', 'map'])}",
                ":".join(f"{r.randint(0, 255):02X}" for _ in range(6)),
                f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}",
                "::1",
                f"{self.pick(['Foo', 'Bar', 'ab'])}::{self.pick(['cd', 'new', 'Baz'])}",
            ])
        if kind == "uuid":
            return self.uuid()
        if kind == "git_sha":
            return self.sha(40) if r.random() < 0.7 else self.sha(r.choice([7, 8, 12]))
        if kind == "sha256_digest":
            return "sha256:" + self.sha(64)
        if kind == "order_number":
            return self.pick([f"#{r.randint(100000, 99999999)}", f"INV-{r.randint(2019, 2025)}-{r.randint(1, 99999):05d}",
                              f"PO {r.randint(4500000000, 4599999999)}", f"1Z{self.chars(string.ascii_uppercase + string.digits, 16)}",
                              f"ORD-{self.chars(string.ascii_uppercase, 3)}-{r.randint(100000, 999999)}"])
        if kind == "date_or_timestamp":
            return self.pick([self.date(), self.ts(), str(r.randint(1_600_000_000, 1_760_000_000)),
                              str(r.randint(1_600_000_000_000, 1_760_000_000_000))])
        if kind == "phone_like_id":
            return self.pick([f"ISBN {self.pick(['978', '979'])}-{r.randint(0, 9)}-{r.randint(10, 99)}-{r.randint(100000, 999999)}-{r.randint(0, 9)}",
                              f"{r.randint(100, 199)}-{r.randint(200, 999)}-{r.randint(1000, 9999)}",
                              f"555-{r.randint(100, 199)}-{r.randint(1000, 9999)}",
                              f"{r.randint(10000, 99999)}-{r.randint(1000, 9999)}",
                              f"{r.randint(2019, 2025)}-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}"])
        if kind == "nino_invalid":
            return self.pick(["QQ 12 34 56 C", "QQ123456C",
                              f"{self.pick(['BG', 'GB', 'NK', 'TN', 'ZZ'])}{self.digits(6)}{self.pick('ABCD')}",
                              f"{self.pick('DFIQUV')}{self.pick(self.NINO_SECOND)}{self.digits(6)}{self.pick('ABCD')}"])
        if kind == "dni_bad_letter":
            return self.es_dni(valid=False)[0]
        if kind == "bsn_bad_checksum":
            return self.bsn_digits(valid=False)
        if kind == "bsn_valid_without_keyword":
            return self.bsn_digits()
        if kind == "jwt_without_alg":
            return self.jwt(with_alg=False)[0]
        if kind == "pem_public_material":
            label = self.pick(["PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST", "RSA PUBLIC KEY"])
            body = base64.b64encode(bytes(r.getrandbits(8) for _ in range(self.pick([91, 294, 700])))).decode()
            return f"-----BEGIN {label}-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + f"\n-----END {label}-----"
        if kind == "stripe_publishable":
            return f"pk_live_51{self.chars(ALNUM, 97)}" if r.random() < 0.6 else f"pk_live_{self.chars(ALNUM, 24)}"
        if kind == "placeholder_secret":
            return self.pick(["<your-api-key>", "YOUR_API_KEY_HERE", "your-api-key-here", "${OPENAI_API_KEY}",
                              "${{ secrets.GITHUB_TOKEN }}", "changeme", "********", "xxxxxxxxxxxxxxxxxxxx",
                              "<redacted>", "REPLACE_ME", "{{ .Values.password }}", "os.environ['API_KEY']",
                              "your_secret_key_here", "insert-token-here", "sk-...", "ghp_xxxxxxxxxxxx"])
        if kind == "email_lookalike":
            return self.pick([f"lodash@4.17.{r.randint(0, 21)}", f"@types/node@{r.randint(14, 22)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
                              "user@localhost", f"@{self.first().lower()}_{self.pick(WORDS)}", "@Override",
                              f"react@{r.randint(16, 19)}.{r.randint(0, 3)}.0"])
        if kind == "slack_lookalike":
            return self.pick(["xoxb-not-a-real-token", f"xoxb-{self.digits(4)}-{self.digits(4)}",
                              f"xoxp-{self.chars(ALNUM, 12)}", "xoxb-YOUR-TOKEN-HERE"])
        if kind == "aws_example_lookalike":
            shape = r.randint(0, 2)
            if shape == 0:  # digits 0, 1, 8, 9 are outside the base32 alphabet of key ids
                body = self.chars(string.ascii_uppercase + "0189", 15)
                return "AKIA" + body[:7] + self.pick("0189") + body[7:]
            if shape == 1:
                return "AKIA" + self.chars(BASE32, 12)
            return "AKIAXXXXXXXXXXXXXXXX"
        raise KeyError(kind)


NEGATIVE_KINDS = [
    "card_luhn_invalid", "card_unknown_issuer", "card_wrong_length", "ssn_never_issued",
    "ssn_zero_group_serial", "ssn_published_sample", "iban_bad_checksum", "github_bad_checksum",
    "github_bad_checksum_after_keyword", "npm_bad_checksum", "ip_version_context", "ip_dotted_run",
    "ip_suffixed", "ipv6_lookalike", "uuid", "git_sha", "sha256_digest", "order_number",
    "date_or_timestamp", "phone_like_id", "nino_invalid", "dni_bad_letter", "bsn_bad_checksum",
    "bsn_valid_without_keyword", "jwt_without_alg", "pem_public_material", "stripe_publishable",
    "placeholder_secret", "email_lookalike", "slack_lookalike", "aws_example_lookalike",
]
# Relative frequency of each negative kind (1 unless listed).
NEGATIVE_WEIGHTS = {"github_bad_checksum_after_keyword": 0.4, "order_number": 1.5}
# Negative kinds whose look-alike fails a checksum, a registry rule or a structural rule a
# detector claims to check, with the entity of that detector: no finding of that entity may
# overlap them (asserted by Tests/EndToEnd/test_masking_corpus.py).
CHECKSUM_NEGATIVES = {
    "card_luhn_invalid": "CREDIT_CARD", "card_unknown_issuer": "CREDIT_CARD", "card_wrong_length": "CREDIT_CARD",
    "ssn_never_issued": "US_SSN", "ssn_zero_group_serial": "US_SSN", "ssn_published_sample": "US_SSN",
    "iban_bad_checksum": "IBAN", "github_bad_checksum": "GITHUB_TOKEN",
    "github_bad_checksum_after_keyword": "GITHUB_TOKEN", "npm_bad_checksum": "NPM_TOKEN",
    "dni_bad_letter": "ES_DNI", "bsn_bad_checksum": "NL_BSN", "nino_invalid": "UK_NINO",
    "jwt_without_alg": "JWT", "pem_public_material": "PRIVATE_KEY", "stripe_publishable": "STRIPE_KEY",
}

# --------------------------------------------------------------------------- templates
# {ENTITY} or {ENTITY:format} is a labelled value, {~kind} a planted negative, {filler} a
# filler from Gen.fill. Each entry: (item kind, template).

T = {
    "EMAIL": [
        ("prose", "Please forward {topic} to {EMAIL} before {date}."),
        ("chat", "hey, can you loop in {first}? her address is {EMAIL} {emoji}"),
        ("email", "From: {name} <{EMAIL}>\nTo: {EMAIL}\nSubject: Re: {topic}\n\nThanks, see attached."),
        ("log", "{ts} INFO  {service} password reset requested for {EMAIL} (request {uuid})"),
        ("code", "user = User.objects.create(username=\"{first}\", email=\"{EMAIL}\")"),
        ("json", "{{\"id\": {order}, \"contact\": {{\"email\": \"{EMAIL}\", \"verified\": true}}}}"),
        ("csv", "customer_id,email,signup\n{order},{EMAIL},{date}"),
        ("prose", "Contact our DPO ({EMAIL}) for any request regarding your data."),
        ("chat", "i emailed {EMAIL} yesterday but no reply yet. any idea who else handles {topic}?"),
    ],
    "PHONE": [
        ("prose", "You can reach {first} on {PHONE} during office hours."),
        ("chat", "call me at {PHONE} when you land in {city}"),
        ("email", "Best regards,\n{name}\n{company} | {city}\nTel: {PHONE}"),
        ("log", "{ts} WARN  sms-gateway delivery failed to={PHONE} code={status}"),
        ("json", "{{\"name\": \"{name}\", \"phone\": \"{PHONE}\"}}"),
        ("csv", "name,phone,city\n{name},{PHONE},{city}"),
        ("prose", "The customer called back from {PHONE} and asked about {product}."),
        ("code", "send_sms(to=\"{PHONE}\", body=\"Your code expires in {n} minutes\")"),
    ],
    "CREDIT_CARD": [
        ("chat", "my card {CREDIT_CARD} got declined again, can you check? {emoji}"),
        ("prose", "Charged {amount} to card number {CREDIT_CARD} for the {product}."),
        ("log", "{ts} ERROR payments charge failed pan={CREDIT_CARD} reason=insufficient_funds"),
        ("json", "{{\"card\": {{\"number\": \"{CREDIT_CARD}\", \"exp_month\": {n}, \"exp_year\": 2029}}}}"),
        ("code", "stripe.PaymentMethod.create(type=\"card\", card={{\"number\": \"{CREDIT_CARD}\"}})"),
        ("email", "Hi,\nplease update my billing card to {CREDIT_CARD}, expiry 08/28.\nThanks, {first}"),
        ("csv", "txn,amount,card\n{order},{amount},{CREDIT_CARD}"),
    ],
    "US_SSN": [
        ("prose", "Applicant {name}, SSN {US_SSN}, date of birth {date}."),
        ("chat", "for the W-2 form: my social security number is {US_SSN}"),
        ("json", "{{\"employee\": \"{name}\", \"ssn\": \"{US_SSN}\", \"state\": \"TX\"}}"),
        ("log", "{ts} DEBUG hr-sync payload ssn={US_SSN} employee_id={order}"),
        ("csv", "name,ssn,hired\n{name},{US_SSN},{date}"),
        ("email", "Dear HR,\nMy SSN is {US_SSN}; please correct it on the payroll record.\n{first}"),
    ],
    "IBAN": [
        ("prose", "Please transfer {amount} to IBAN {IBAN} (account holder {name})."),
        ("email", "Bank details for the invoice:\nIBAN: {IBAN}\nBIC: {word}\nReference: INV-{order}"),
        ("json", "{{\"payout\": {{\"iban\": \"{IBAN}\", \"holder\": \"{name}\"}}}}"),
        ("chat", "new account is {IBAN}, can you update the payroll? thx"),
        ("csv", "supplier,iban,currency\n{company},{IBAN},EUR"),
        ("log", "{ts} INFO  sepa mandate created iban={IBAN} mandate={uuid}"),
    ],
    "IP_ADDRESS": [
        ("log", "{ts} INFO  {service} request from {IP_ADDRESS} took {ms}ms status={status}"),
        ("log", "{IP_ADDRESS} - - [{date}] \"GET /api/v1/orders HTTP/1.1\" {status} {ms}"),
        ("log", "sshd[{pid}]: Failed password for invalid user admin from {IP_ADDRESS} port {port} ssh2"),
        ("code", "ALLOWED_HOSTS = [\"{IP_ADDRESS}\", \"localhost\"]"),
        ("config", "server:\n  bind: {IP_ADDRESS}\n  port: {port}"),
        ("chat", "the VPN gives me {IP_ADDRESS} but the db only allows the office range"),
        ("prose", "Traffic spiked from {IP_ADDRESS} around {date}; we blocked it at the edge."),
    ],
    "UK_NINO": [
        ("prose", "Employee {name}, National Insurance number {UK_NINO}, starts on {date}."),
        ("chat", "my NI number is {UK_NINO} if you need it for the payroll"),
        ("json", "{{\"name\": \"{name}\", \"nino\": \"{UK_NINO}\"}}"),
        ("email", "Hello,\nPlease find my details: NINO {UK_NINO}, tax code 1257L.\n{first}"),
        ("csv", "employee,nino,start\n{name},{UK_NINO},{date}"),
    ],
    "ES_DNI": [
        ("prose", "El cliente {name} con DNI {ES_DNI} firmó el contrato el {date}."),
        ("chat", "my DNI is {ES_DNI}, do you need a copy of it?"),
        ("json", "{{\"titular\": \"{name}\", \"nif\": \"{ES_DNI}\"}}"),
        ("email", "Datos del inquilino: {name}, NIE/DNI {ES_DNI}, {city}."),
        ("csv", "nombre,documento\n{name},{ES_DNI}"),
    ],
    "NL_BSN": [
        ("prose", "Patiënt {name}, BSN: {NL_BSN}, geboren {date}."),
        ("json", "{{\"naam\": \"{name}\", \"bsn\": \"{NL_BSN}\"}}"),
        ("log", "{ts} INFO  toeslagen lookup bsn={NL_BSN} status={status}"),
        ("chat", "mijn BSN {NL_BSN}, klopt dat zo?"),
        ("email", "Beste {first},\nburgerservicenummer: {NL_BSN}\nMet vriendelijke groet"),
        ("prose", "Cliënt {name} (BSN-nummer: {NL_BSN:bsn_nummer_label}) heeft gebeld."),
        ("prose", "Burgerservicenummer (BSN): {NL_BSN:parenthesized_label}"),
    ],
    "AWS_ACCESS_KEY": [
        ("config", "[default]\naws_access_key_id = {AWS_ACCESS_KEY}\nregion = {region}"),
        ("code", "export AWS_ACCESS_KEY_ID={AWS_ACCESS_KEY}"),
        ("log", "{ts} WARN  s3 AccessDenied for key {AWS_ACCESS_KEY} on bucket {word}-{env}"),
        ("chat", "which user owns {AWS_ACCESS_KEY}? it shows up in the CloudTrail alerts"),
        ("json", "{{\"AccessKeyId\": \"{AWS_ACCESS_KEY}\", \"Status\": \"Active\"}}"),
    ],
    "AWS_SECRET_KEY": [
        ("config", "[default]\naws_access_key_id = {AWS_ACCESS_KEY}\naws_secret_access_key = {AWS_SECRET_KEY}"),
        ("code", "export AWS_SECRET_ACCESS_KEY={AWS_SECRET_KEY}"),
        ("code", "s3 = boto3.client(\"s3\", aws_access_key_id=\"{AWS_ACCESS_KEY}\", aws_secret_access_key=\"{AWS_SECRET_KEY}\")"),
        ("json", "{{\"Credentials\": {{\"AccessKeyId\": \"{AWS_ACCESS_KEY}\", \"SecretAccessKey\": \"{AWS_SECRET_KEY}\"}}}}"),
        ("config", "AWS_SECRET_KEY: {AWS_SECRET_KEY}\nAWS_REGION: {region}"),
    ],
    "GITHUB_TOKEN": [
        ("code", "git clone https://{GITHUB_TOKEN}@github.com/{company}/{repo}.git"),
        ("config", "GITHUB_TOKEN={GITHUB_TOKEN}"),
        ("chat", "here is my token {GITHUB_TOKEN}, why does the push fail with 403?"),
        ("code", "curl -H \"Authorization: token {GITHUB_TOKEN}\" https://api.github.com/user"),
        ("log", "{ts} ERROR ci fetch failed using {GITHUB_TOKEN} (bad credentials)"),
        ("json", "{{\"github\": {{\"token\": \"{GITHUB_TOKEN}\"}}}}"),
    ],
    "NPM_TOKEN": [
        ("config", "//registry.npmjs.org/:_authToken={NPM_TOKEN}"),
        ("code", "NPM_TOKEN={NPM_TOKEN} npm publish --access public"),
        ("chat", "npm publish says 401 with {NPM_TOKEN}, is it expired?"),
        ("log", "{ts} npm ERR! using token {NPM_TOKEN} for scope @{word}"),
    ],
    "OPENAI_KEY": [
        ("code", "client = OpenAI(api_key=\"{OPENAI_KEY}\")"),
        ("config", "OPENAI_API_KEY={OPENAI_KEY}"),
        ("chat", "why do I get 429 with this key {OPENAI_KEY} ?"),
        ("code", "curl https://api.openai.com/v1/models -H \"Authorization: Bearer {OPENAI_KEY}\""),
        ("json", "{{\"provider\": \"openai\", \"key\": \"{OPENAI_KEY}\"}}"),
    ],
    "ANTHROPIC_KEY": [
        ("code", "client = anthropic.Anthropic(api_key=\"{ANTHROPIC_KEY}\")"),
        ("config", "ANTHROPIC_API_KEY={ANTHROPIC_KEY}"),
        ("code", "curl https://api.anthropic.com/v1/messages -H \"x-api-key: {ANTHROPIC_KEY}\""),
        ("chat", "the key {ANTHROPIC_KEY} returns authentication_error, did it get revoked?"),
    ],
    "SLACK_TOKEN": [
        ("config", "SLACK_BOT_TOKEN={SLACK_TOKEN}"),
        ("code", "client = WebClient(token=\"{SLACK_TOKEN}\")"),
        ("chat", "bot token is {SLACK_TOKEN}, the app can't post to #{word}"),
        ("code", "curl -X POST -H 'Content-type: application/json' --data '{{\"text\":\"deploy done\"}}' {SLACK_TOKEN:webhook_url}"),
        ("log", "{ts} WARN  slack invalid_auth for {SLACK_TOKEN}"),
    ],
    "GOOGLE_API_KEY": [
        ("code", "<script src=\"https://maps.googleapis.com/maps/api/js?key={GOOGLE_API_KEY}&callback=initMap\"></script>"),
        ("config", "GOOGLE_MAPS_KEY={GOOGLE_API_KEY}"),
        ("json", "{{\"client\": {{\"api_key\": [{{\"current_key\": \"{GOOGLE_API_KEY}\"}}]}}}}"),
        ("chat", "the gemini call fails with key {GOOGLE_API_KEY} from the {env} project"),
    ],
    "STRIPE_KEY": [
        ("config", "STRIPE_SECRET_KEY={STRIPE_KEY}"),
        ("code", "stripe.api_key = \"{STRIPE_KEY}\""),
        ("chat", "accidentally pasted {STRIPE_KEY} in the channel, rotating now"),
        ("json", "{{\"stripe\": {{\"secret\": \"{STRIPE_KEY}\", \"mode\": \"live\"}}}}"),
    ],
    "JWT": [
        ("code", "curl -H \"Authorization: Bearer {JWT}\" https://api.{word}.example.com/v2/me"),
        ("log", "{ts} DEBUG auth token verified: {JWT}"),
        ("json", "{{\"access_token\": \"{JWT}\", \"token_type\": \"Bearer\", \"expires_in\": 3600}}"),
        ("chat", "can you decode this? {JWT} it says expired but the exp looks fine"),
        ("log", "Set-Cookie: session={JWT}; Path=/; HttpOnly; Secure"),
    ],
    "PRIVATE_KEY": [
        ("config", "{PRIVATE_KEY}"),
        ("chat", "is this key in the right format?\n{PRIVATE_KEY}\nssh keeps saying invalid format"),
        ("json", "{{\"type\": \"service_account\", \"private_key_id\": \"{sha}\", \"private_key\": \"{PRIVATE_KEY:json_escaped}\\n\"}}"),
        ("code", "cat > deploy_key <<'EOF'\n{PRIVATE_KEY}\nEOF\nchmod 600 deploy_key"),
    ],
    "GENERIC_SECRET": [
        ("config", "{skey}={GENERIC_SECRET}"),
        ("config", "{skey}: \"{GENERIC_SECRET}\""),
        ("json", "{{\"{skey}\": \"{GENERIC_SECRET}\", \"user\": \"{first}\"}}"),
        ("code", "conn = connect(host=\"db\", user=\"app\", password=\"{GENERIC_SECRET}\")"),
        ("code", "curl -H \"Authorization: Bearer {GENERIC_SECRET}\" https://internal.example.com/api"),
        ("config", "DATABASE_URL=postgres://app:{GENERIC_SECRET:url_userinfo}@db.internal:5432/app"),
        ("config", "pwd={GENERIC_SECRET:unlisted_keyword}"),
        ("chat", "the passphrase is {GENERIC_SECRET:unlisted_keyword} (don't share it)"),
    ],
}

MULTI = [
    ("csv", "name,email,phone,iban\n{name},{EMAIL},{PHONE},{IBAN}\n{name},{EMAIL},{PHONE},{IBAN}"),
    ("json", "{{\"customer\": {{\"name\": \"{name}\", \"email\": \"{EMAIL}\", \"phone\": \"{PHONE}\", \"card\": \"{CREDIT_CARD}\"}}}}"),
    ("chat", "Hi, I'm {first}. My card {CREDIT_CARD} was charged twice for the {product}; reach me at {EMAIL} or {PHONE}."),
    ("config", "# {env}\nDB_PASSWORD={GENERIC_SECRET}\nOPENAI_API_KEY={OPENAI_KEY}\nSTRIPE_SECRET_KEY={STRIPE_KEY}\nSENTRY_RELEASE={short_sha}"),
    ("config", "AWS_ACCESS_KEY_ID={AWS_ACCESS_KEY}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET_KEY}\nGITHUB_TOKEN={GITHUB_TOKEN}\nBUILD_ID={uuid}"),
    ("log", "{ts} INFO  auth login ok user={EMAIL} ip={IP_ADDRESS} session={uuid}\n{ts} INFO  auth mfa sms sent to {PHONE}"),
    ("email", "Dear {first},\n\nyour refund of {amount} goes to {IBAN}. For questions call {PHONE} or write to {EMAIL}.\n\nOrder {~order_number}, {date}."),
    ("prose", "Employee record: {name}, SSN {US_SSN}, NINO {UK_NINO}, phone {PHONE}, e-mail {EMAIL}."),
    ("chat", "ok the new setup: ANTHROPIC_API_KEY={ANTHROPIC_KEY} and slack bot {SLACK_TOKEN} {emoji}"),
    ("json", "{{\"dni\": \"{ES_DNI}\", \"iban\": \"{IBAN}\", \"email\": \"{EMAIL}\", \"ip\": \"{IP_ADDRESS}\"}}"),
    ("code", "headers = {{\"Authorization\": \"Bearer {JWT}\", \"X-Goog-Api-Key\": \"{GOOGLE_API_KEY}\"}}\nrequests.get(url, headers=headers, timeout={n})"),
    ("log", "{ts} DEBUG npm config //registry.npmjs.org/:_authToken={NPM_TOKEN} from {IP_ADDRESS}"),
]

N = {  # negatives: templates where the negative is the point
    "card_luhn_invalid": [("log", "{ts} INFO  shipment tracking number {~card_luhn_invalid} created"),
                          ("prose", "Reference {~card_luhn_invalid} appears on the bank statement for {amount}."),
                          ("chat", "the test number {~card_luhn_invalid} is rejected by the form, is that right?")],
    "card_unknown_issuer": [("prose", "Your loyalty member number is {~card_unknown_issuer}."),
                            ("log", "{ts} INFO  batch {~card_unknown_issuer} exported ({n} records)")],
    "card_wrong_length": [("log", "{ts} DEBUG ledger entry {~card_wrong_length} reconciled"),
                          ("csv", "entry,amount\n{~card_wrong_length},{amount}")],
    "ssn_never_issued": [("prose", "Test fixture SSN {~ssn_never_issued} is used in the staging data set."),
                         ("json", "{{\"ssn\": \"{~ssn_never_issued}\", \"note\": \"synthetic\"}}")],
    "ssn_zero_group_serial": [("prose", "The form rejected {~ssn_zero_group_serial} as an invalid SSN."),
                              ("csv", "id,ssn\n{order},{~ssn_zero_group_serial}")],
    "ssn_published_sample": [("prose", "Enter your SSN in the form (e.g. {~ssn_published_sample})."),
                             ("code", "SAMPLE_SSN = \"{~ssn_published_sample}\"  # documentation example")],
    "iban_bad_checksum": [("prose", "The IBAN {~iban_bad_checksum} failed validation, please check for typos."),
                          ("log", "{ts} WARN  sepa rejected iban={~iban_bad_checksum} reason=checksum")],
    "github_bad_checksum": [("code", "assert not is_valid(\"{~github_bad_checksum}\")  # wrong checksum"),
                            ("prose", "Tokens look like {~github_bad_checksum} and start with a prefix."),
                            ("chat", "is {~github_bad_checksum} a real token or just the sample from the docs?")],
    # After a key word the generic-secret heuristic applies (it cannot know the checksum).
    "github_bad_checksum_after_keyword": [("code", "TOKEN = \"{~github_bad_checksum_after_keyword}\"  # fake token for tests")],
    "npm_bad_checksum": [("code", "const fake = '{~npm_bad_checksum}' // fixture"),
                         ("prose", "An npm token such as {~npm_bad_checksum} is 40 characters long.")],
    "ip_version_context": [("log", "{ts} INFO  {service} starting, {~ip_version_context}"),
                           ("prose", "We upgraded the appliance to {~ip_version_context} last week."),
                           ("chat", "which build are you on? I'm on {~ip_version_context}")],
    "ip_dotted_run": [("config", "snmp:\n  oid: {~ip_dotted_run}\n  community: public"),
                      ("prose", "See section {~ip_dotted_run} of the specification.")],
    "ip_suffixed": [("log", "{ts} INFO  deployed {service} {~ip_suffixed}"),
                    ("prose", "The {~ip_suffixed} tag is not production ready.")],
    "ipv6_lookalike": [("code", "auto x = {~ipv6_lookalike}; // {word}"),
                       ("log", "{ts} DEBUG link up hw={~ipv6_lookalike}"),
                       ("prose", "The job finished at {~ipv6_lookalike} according to the log.")],
    "uuid": [("log", "{ts} INFO  request_id={~uuid} status={status} duration={ms}ms"),
             ("json", "{{\"id\": \"{~uuid}\", \"object\": \"chat.completion\", \"model\": \"gpt-4o\"}}")],
    "git_sha": [("log", "commit {~git_sha}\nAuthor: ci-bot\nDate: {date}\n\n    bump {service} to {version}"),
                ("chat", "can you cherry-pick {~git_sha} onto the release branch?")],
    "sha256_digest": [("config", "image: registry.example.com/{service}@{~sha256_digest}"),
                      ("log", "{ts} INFO  pulled layer {~sha256_digest}")],
    "order_number": [("prose", "Your order {~order_number} ships on {date}."),
                     ("chat", "order {~order_number} still says processing {emoji}")],
    "date_or_timestamp": [("log", "{~date_or_timestamp} scheduler job {word} finished in {ms}ms"),
                          ("prose", "The contract was renewed on {~date_or_timestamp} for {amount}.")],
    "phone_like_id": [("prose", "The book ({~phone_like_id}) is out of print."),
                      ("log", "{ts} INFO  ticket {~phone_like_id} closed"),
                      ("csv", "part,qty\n{~phone_like_id},{n}")],
    "nino_invalid": [("prose", "HMRC's guidance uses {~nino_invalid} as an example number."),
                     ("csv", "ref,status\n{~nino_invalid},pending")],
    "dni_bad_letter": [("prose", "El DNI {~dni_bad_letter} no es válido (letra incorrecta)."),
                       ("json", "{{\"nif\": \"{~dni_bad_letter}\", \"valid\": false}}")],
    "bsn_bad_checksum": [("prose", "Het BSN: {~bsn_bad_checksum} is ongeldig volgens de elfproef."),
                         ("json", "{{\"bsn\": \"{~bsn_bad_checksum}\", \"error\": \"elfproef\"}}")],
    "bsn_valid_without_keyword": [("prose", "Invoice {~bsn_valid_without_keyword} was paid on {date}."),
                                  ("log", "{ts} INFO  order {~bsn_valid_without_keyword} packed")],
    "jwt_without_alg": [("log", "{ts} DEBUG opaque blob {~jwt_without_alg}"),
                        ("code", "FIXTURE = \"{~jwt_without_alg}\"")],
    "pem_public_material": [("config", "{~pem_public_material}"),
                            ("chat", "here is our public cert, feel free to pin it:\n{~pem_public_material}")],
    "stripe_publishable": [("code", "const stripe = Stripe('{~stripe_publishable}');"),
                           ("config", "STRIPE_PUBLISHABLE_KEY={~stripe_publishable}")],
    "placeholder_secret": [("config", "API_KEY={~placeholder_secret}"),
                           ("config", "password: {~placeholder_secret}"),
                           ("prose", "Set OPENAI_API_KEY to {~placeholder_secret} before running the script."),
                           ("json", "{{\"api_key\": \"{~placeholder_secret}\"}}")],
    "email_lookalike": [("code", "npm install {~email_lookalike}"),
                        ("chat", "thanks {~email_lookalike}, merged!"),
                        ("prose", "Pin {~email_lookalike} in package.json.")],
    "slack_lookalike": [("config", "SLACK_BOT_TOKEN={~slack_lookalike}"),
                        ("prose", "Bot tokens start with xoxb-, for example {~slack_lookalike}.")],
    "aws_example_lookalike": [("prose", "Key ids look like {~aws_example_lookalike} in the console."),
                              ("log", "{ts} DEBUG parsed id {~aws_example_lookalike}")],
}

CLEAN = [
    ("prose", "The meeting about {topic} moved to {date}; {first} will share the slides."),
    ("prose", "Revenue grew by {n}% to {amount} in the last quarter, driven by the {product}."),
    ("chat", "lgtm, ship it {emoji}"),
    ("chat", "can you summarise {topic} in three bullet points?"),
    ("code", "def retry(fn, attempts={n}):\n    for i in range(attempts):\n        try:\n            return fn()\n        except TimeoutError:\n            time.sleep(2 ** i)"),
    ("code", "SELECT id, created_at FROM orders WHERE status = 'paid' AND total > {n} ORDER BY created_at DESC LIMIT 50;"),
    ("log", "{ts} INFO  {service} healthcheck ok in {ms}ms (pid {pid})"),
    ("log", "{ts} WARN  {service} slow query {ms}ms on table orders"),
    ("config", "replicas: {n}\nimage: {service}:{version}\nresources:\n  limits:\n    memory: 512Mi"),
    ("prose", "Version {version} fixes the memory leak in the {service} worker; upgrade before {date}."),
    ("email", "Hi {first},\n\nthanks for the update on {topic}. Let's discuss on {date}.\n\nCheers"),
    ("json", "{{\"model\": \"gpt-4o-mini\", \"temperature\": 0.{n}, \"max_tokens\": {ms}}}"),
]


class Builder:
    """Assembles an item's text and records span offsets (characters) as pieces are added."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[dict] = []
        self.negatives: list[dict] = []

    def lit(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def entity(self, entity: str, value: str, fmt: str) -> None:
        self.spans.append({"start": self.length, "end": self.length + len(value), "entity": entity, "format": fmt})
        self.lit(value)

    def negative(self, kind: str, value: str) -> None:
        self.negatives.append({"start": self.length, "end": self.length + len(value), "kind": kind})
        self.lit(value)

    @property
    def text(self) -> str:
        return "".join(self.parts)


SLOT = re.compile(r"\{\{|\}\}|\{([~A-Za-z_][A-Za-z_0-9:]*)\}")


def render(template: str, gen: Gen, builder: Builder) -> None:
    pos = 0
    for m in SLOT.finditer(template):
        builder.lit(template[pos:m.start()])
        pos = m.end()
        token = m.group(0)
        if token == "{{":
            builder.lit("{")
            continue
        if token == "}}":
            builder.lit("}")
            continue
        slot = m.group(1)
        if slot.startswith("~"):
            kind = slot[1:]
            value = gen.negative(kind)
            # Context words that belong to the look-alike's shape stay outside the span.
            for word in ("version ", "Version ", "ver ", "release ", "build ", "firmware ", "ISBN "):
                if value.startswith(word):
                    builder.lit(word)
                    value = value[len(word):]
            builder.negative(kind, value)
        elif slot.isupper() or ":" in slot:
            entity, _, fmt = slot.partition(":")
            value, shape = gen.entity(entity, fmt or None)
            fmt = fmt or shape
            if entity == "US_SSN" and fmt == "nodash_keyword" and not builder.text.rstrip(" :=\"").lower().endswith(
                    ("ssn", "social security number is")):
                value, fmt = value[:3] + "-" + value[3:5] + "-" + value[5:], "dashed"
            builder.entity(entity, value, fmt)
        else:
            builder.lit(gen.fill(slot))
    builder.lit(template[pos:])


def make_item(index: int, gen: Gen) -> dict:
    r = gen.r
    b = Builder()
    roll = r.random()
    if roll < 0.55:
        entity = ENTITIES[index % len(ENTITIES)] if r.random() < 0.6 else gen.pick(ENTITIES)
        kind, template = gen.pick(T[entity])
    elif roll < 0.67:
        kind, template = gen.pick(MULTI)
    elif roll < 0.90:
        neg = gen.r.choices(NEGATIVE_KINDS, weights=[NEGATIVE_WEIGHTS.get(k, 1) for k in NEGATIVE_KINDS])[0]
        kind, template = gen.pick(N[neg])
    else:
        kind, template = gen.pick(CLEAN)
    render(template, gen, b)
    if r.random() < 0.3:
        b.lit(gen.pick(["\n\n", "\n", " "]))
        extra = gen.r.choices(NEGATIVE_KINDS, weights=[NEGATIVE_WEIGHTS.get(k, 1) for k in NEGATIVE_KINDS])[0]
        extra_pool = N[extra] if r.random() < 0.6 else CLEAN
        render(gen.pick(extra_pool)[1], gen, b)
    return {"id": f"mc-{index:06d}", "kind": kind, "text": b.text, "spans": b.spans, "negatives": b.negatives}


def generate(n: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED) -> list[dict]:
    """The corpus: `n` items from `seed` (same arguments, same items)."""
    gen = Gen(random.Random(seed))
    items = [make_item(i + 1, gen) for i in range(n)]
    for item in items:
        for span in item["spans"] + item["negatives"]:
            assert 0 <= span["start"] < span["end"] <= len(item["text"]), (item["id"], span)
    return items


def write(items: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")


def summary(items: list[dict]) -> dict:
    from collections import Counter
    spans = Counter(s["entity"] for it in items for s in it["spans"])
    negatives = Counter(s["kind"] for it in items for s in it["negatives"])
    kinds = Counter(it["kind"] for it in items)
    return {"items": len(items), "spans": sum(spans.values()), "negatives": sum(negatives.values()),
            "items_without_spans": sum(1 for it in items if not it["spans"]),
            "by_entity": dict(sorted(spans.items())), "by_negative": dict(sorted(negatives.items())),
            "by_kind": dict(sorted(kinds.items()))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--size", type=int, default=DEFAULT_SIZE)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("-o", "--output", type=Path, default=HERE / "corpus.jsonl")
    args = ap.parse_args(argv)
    items = generate(args.size, args.seed)
    write(items, args.output)
    info = summary(items)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes): {info['items']} items, "
          f"{info['spans']} labelled spans, {info['negatives']} planted negatives", file=sys.stderr)
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

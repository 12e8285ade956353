"""The words and tables the e-mail phishing detector reads messages with: free-mail
providers, brand names as people write them, lure phrases in seven languages, risky attachments."""

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

BRAND_CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "impersonated_brands.yaml"

# fmt: off
FREE_MAIL = frozenset((
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "aol.com", "icloud.com", "me.com", "proton.me", "protonmail.com",
    "gmx.com", "gmx.net", "gmx.de", "web.de", "mail.com", "mail.ru", "yandex.ru", "yandex.com",
    "zoho.com", "qq.com", "163.com", "uol.com.br", "bol.com.br", "tutanota.com", "hotmail.fr",
    "yahoo.fr", "yahoo.es", "yahoo.com.br", "outlook.fr", "laposte.net", "orange.fr",
))
# Names people see in a message, mapped to the protected brand they claim to be.
BRAND_NAMES: dict[str, tuple[str, ...]] = {
    "microsoft": ("microsoft account", "microsoft 365", "azure"),
    "office365": ("office 365", "onedrive", "sharepoint"),
    "outlook": ("microsoft outlook", "outlook web app", "outlook account", "outlook team"),
    "google": ("gmail", "google drive", "google workspace"),
    "apple": ("apple id", "apple account", "apple support", "apple pay", "icloud", "itunes"),
    "amazon": ("amazon prime", "aws"),
}
# Brand names that are also ordinary words; they count as a claim only as the sender's name.
COMMON_WORDS = frozenset(("apple", "outlook"))
# Words that may stand beside an organisation's name in a sender name without making it
# someone else's ("UPS Support", "Chase Fraud Alerts", "Aviso Caixa"), folded.
SERVICE_WORDS = frozenset((
    "support", "service", "services", "team", "security", "secure", "alert", "alerts",
    "notification", "notifications", "notice", "notices", "customer", "customers", "care",
    "help", "helpdesk", "desk", "account", "accounts", "billing", "bank", "banking", "card",
    "cards", "online", "digital", "official", "info", "information", "mail", "email", "no",
    "reply", "noreply", "donotreply", "do", "not", "express", "delivery", "deliveries", "parcel",
    "package", "tracking", "shipping", "shipment", "update", "updates", "department", "dept",
    "inc", "ltd", "llc", "corp", "us", "usa", "uk", "de", "fr", "br", "es", "mx", "ca",
    "international", "global", "system", "systems", "admin", "administrator", "protection",
    "fraud", "verification", "payments", "payment", "pay", "rewards", "member", "members",
    "aviso", "avisos", "atendimento", "suporte", "servico", "servicos", "servicio", "servicios",
    "soporte", "cliente", "clientes", "notificacao", "notificacion", "informa", "informe",
    "seguranca", "seguridad", "kundenservice", "kundendienst", "sicherheit", "benachrichtigung",
    "assistance", "equipe", "client", "clients", "paket", "colis", "entrega", "envio",
    "klantenservice", "beveiliging", "servizio", "clienti", "sicurezza",
))  # fmt: skip


@dataclass(frozen=True)
class ImpersonatedBrand:
    """An organisation phishing often pretends to be (triage/data/impersonated_brands.yaml)."""

    key: str
    names: tuple[str, ...]  # count anywhere in a message
    sender_names: tuple[str, ...]  # ordinary words too: count only as the whole sender name
    domains: frozenset[str]


@functools.cache
def impersonated_brands(path: Path = BRAND_CATALOGUE) -> tuple[ImpersonatedBrand, ...]:
    """The catalogue; an entry that is not a mapping of lists is skipped, not fatal, so that a
    local edit gone wrong costs that entry and not every run."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    brands = []
    entries = document.get("brands") if isinstance(document, dict) else None
    for key, entry in (entries if isinstance(entries, dict) else {}).items():
        if not isinstance(entry, dict):
            continue
        names, sender_names, domains = (
            [str(v) for v in value] if isinstance(value := entry.get(field), list) else []
            for field in ("names", "sender_names", "domains")
        )
        if not (names or sender_names) or not domains:
            continue
        brands.append(
            ImpersonatedBrand(
                key=fold(str(key)),
                names=tuple(fold(n) for n in names),
                sender_names=tuple(fold(n) for n in sender_names),
                domains=frozenset(d.lower() for d in domains),
            )
        )
    return tuple(brands)


# Characters that change how a name reads without changing how it looks: format characters
# (zero-width spaces and joiners, soft hyphens) go; trade marks and Latin look-alikes from
# Cyrillic and Greek become what a reader sees.
_SEEN_AS = str.maketrans(
    {
        "\u2122": " ", "\u2120": " ", "\u00ae": " ", "\u00a9": " ",
        "\u0131": "i",  # dotless i: IGNORECASE would match it to "i", folding must too
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l", "к": "k", "м": "m", "т": "t",
        "в": "b", "н": "h", "ο": "o", "α": "a", "ν": "v", "τ": "t", "ι": "i", "κ": "k",
        "ρ": "p", "ε": "e", "υ": "u", "χ": "x", "ɡ": "g",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower case as a reader sees it: without accents, invisible characters, trade marks or
    Cyrillic and Greek look-alikes, so that "Itaú", "ITAU" and "Itаu" read the same."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SEEN_AS))
    kept = (
        c
        for c in decomposed
        if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return "".join(kept).lower().translate(_SEEN_AS)


# Lure lexicon: (language, kind, pattern). "credential" lures ask for a login or account
# action (phishing for information); "payment" and "urgency" push the reader to act.
LURES: tuple[tuple[str, str, str], ...] = (
    ("en", "credential", r"sign[- ]?in|log[- ]?in|password|verify|verification|suspend\w*|"
     r"unusual (?:sign-in )?activity|b?locked|unlock|restricted|disabled|re-?activate|mailbox|"
     r"security alert|quota|storage (?:is )?(?:almost )?full|mailbox (?:is )?(?:almost )?full|"
     r"update now|validate your|confirm your|your account|wallet|seed phrase|recovery phrase"),
    ("en", "delivery", r"parcel|shipment on hold|delivery (?:failed|attempt)|customs fee|"
     r"reschedule (?:your )?delivery|package (?:is )?(?:on hold|held)"),
    ("en", "payment", r"invoice|payment|remittance|wire transfer|overdue|refund"),
    ("en", "legal", r"court (?:notice|summons)|subpoena|lawsuit|legal action|penalty notice"),
    ("en", "urgency", r"urgent\w*|immediately|within 24 hours|action required|final notice|"
     r"expires?"),
    ("pt", "credential", r"senha|verifi(?:que|car|cação)|sua conta|suspens[ao]|suspensão|"
     r"bloquead[ao]|bloqueio|atividade incomum|confirm(?:e|ar|ação)|regularize|"
     r"sincroniza(?:ção|r)|atualiz(?:e|ar) (?:seus )?dados"),
    ("pt", "payment", r"pagamento|fatura|boleto|remessa|comprovante|transferência|pix"),
    ("pt", "legal", r"notifica(?:ção|cao) (?:extra)?judicial|intima(?:ção|cao)|processo judicial|"
     r"infração|multa"),
    ("pt", "urgency", r"urgente|imediatamente|expira|último aviso|ultimo aviso|acesse agora"),
    ("pt", "delivery", r"encomenda|entrega pendente|taxa de importação|rastreamento"),
    ("es", "credential", r"contraseña|verifi(?:que|car|cación)|su cuenta|suspendid[ao]|"
     r"suspensión|bloque(?:o|ad[ao])|actividad inusual|confirm(?:e|ar)|actualice sus datos"),
    ("es", "payment", r"pago|factura|transferencia"),
    ("es", "legal", r"notificación judicial|citación|demanda judicial|embargo|penalización"),
    ("es", "urgency", r"urgente|inmediatamente|caduca|atención requerida"),
    ("es", "delivery", r"paquete retenido|envío pendiente|aduana"),
    ("fr", "credential", r"mot de passe|identifiant|vérifi\w+|votre compte|suspendu|blocage|"
     r"bloqué|activité inhabituelle|confirme[rz]"),
    ("fr", "payment", r"paiement|facture|virement"),
    ("fr", "legal", r"amende|avis de contravention|huissier|poursuites judiciaires"),
    ("fr", "urgency", r"urgent|immédiatement|expir\w+|dernier rappel"),
    ("fr", "delivery", r"colis|date de livraison|frais de douane|livraison en attente"),
    ("de", "credential", r"passwort|kennwort|überprüf\w*|verifizier\w*|bestätig\w*|ihr konto|"
     r"gesperrt|sperrung|ungewöhnliche aktivität|anmeld\w+|aktualisieren sie"),
    ("de", "payment", r"zahlung|rechnung|überweisung|mahnung"),
    ("de", "legal", r"inkasso|pfändung|gerichtlich\w*|anwaltlich\w*"),
    ("de", "urgency", r"dringend|sofort|läuft ab|letzte erinnerung"),
    ("de", "delivery", r"ihr paket|zustellung|zollgebühr\w*"),
    ("nl", "credential", r"wachtwoord|verifi\w+|uw account|geblokkeerd|bevestig\w*"),
    ("nl", "payment", r"betaling|betalen|factuur"),
    ("nl", "urgency", r"dringend|onmiddellijk|verloopt|laatste herinnering"),
    ("nl", "delivery", r"je pakket|uw pakket|bezorging|douanerechten|douanekosten|zending"),
    ("it", "credential", r"password|verifica|il tuo account|bloccat[oa]|sospes[oa]"),
    ("it", "payment", r"pagamento|fattura|bonifico"),
    ("it", "urgency", r"urgente|immediatamente|scade"),
    ("it", "delivery", r"pacco|spedizione in sospeso|consegna"),
)
ARCHIVES = frozenset(("zip", "rar", "7z", "gzip", "cab", "iso"))
OPENS_LOCALLY = frozenset(("pe", "elf", "html", "svg", "script", "lnk", "iso"))
RISKY_NAME = re.compile(
    r"\.(html?|shtml|svg|xhtml|exe|scr|js|jse|vbs|hta|bat|cmd|ps1|lnk|iso|img|zip|rar|7z|gz|"
    r"tgz|ace|arj|cab)$", re.IGNORECASE,
)
# What each declared type may honestly contain, by the loader's sniffed kinds.
DECLARED_KINDS: dict[str, frozenset[str]] = {
    "application/pdf": frozenset(("pdf",)),
    "image/png": frozenset(("png",)), "image/jpeg": frozenset(("jpeg",)),
    "image/gif": frozenset(("gif",)), "text/plain": frozenset(("text",)),
    "application/msword": frozenset(("ole", "rtf")),
    "application/vnd.ms-excel": frozenset(("ole",)),
    "application/zip": frozenset(("zip", "ooxml")), "text/html": frozenset(("html", "text")),
}
# fmt: on

"""The words and tables the e-mail phishing detector reads messages with: free-mail
providers, brand names as people write them, lure phrases in five languages, risky attachments."""

import re

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
# Lure lexicon: (language, kind, pattern). "credential" lures ask for a login or account
# action (phishing for information); "payment" and "urgency" push the reader to act.
LURES: tuple[tuple[str, str, str], ...] = (
    ("en", "credential", r"sign[- ]?in|log[- ]?in|password|verify|verification|suspend\w*|"
     r"unusual (?:sign-in )?activity|b?locked|unlock|restricted|disabled|re-?activate|mailbox|"
     r"security alert|"
     r"confirm your|your account|wallet|seed phrase|recovery phrase"),
    ("en", "delivery", r"parcel|shipment on hold|delivery (?:failed|attempt)|customs fee"),
    ("en", "payment", r"invoice|payment|remittance|wire transfer|overdue|refund"),
    ("en", "urgency", r"urgent\w*|immediately|within 24 hours|action required|final notice|"
     r"expires?"),
    ("pt", "credential", r"senha|verifi(?:que|car|cação)|sua conta|suspens[ao]|bloquead[ao]|"
     r"atividade incomum|confirm(?:e|ar|ação)"),
    ("pt", "payment", r"pagamento|fatura|boleto|remessa|comprovante|transferência"),
    ("pt", "urgency", r"urgente|imediatamente|expira"),
    ("pt", "delivery", r"encomenda|entrega pendente"),
    ("es", "credential", r"contraseña|verifi(?:que|car|cación)|su cuenta|suspendid[ao]|"
     r"actividad inusual|confirm(?:e|ar)"),
    ("es", "payment", r"pago|factura|transferencia"),
    ("es", "urgency", r"urgente|inmediatamente|caduca"),
    ("es", "delivery", r"paquete retenido|envío pendiente"),
    ("fr", "credential", r"mot de passe|identifiant|vérifi\w+|votre compte|suspendu|"
     r"activité inhabituelle|confirme[rz]"),
    ("fr", "payment", r"paiement|facture|virement"),
    ("fr", "urgency", r"urgent|immédiatement|expir\w+"),
    ("de", "credential", r"passwort|kennwort|überprüf\w*|verifizier\w*|bestätig\w*|ihr konto|"
     r"gesperrt|ungewöhnliche aktivität|anmeld\w+"),
    ("de", "payment", r"zahlung|rechnung|überweisung"),
    ("de", "urgency", r"dringend|sofort|läuft ab"),
    ("nl", "credential", r"wachtwoord|verifi\w+|uw account|geblokkeerd|bevestig\w*"),
    ("nl", "payment", r"betaling|factuur"),
    ("nl", "urgency", r"dringend|onmiddellijk|verloopt"),
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

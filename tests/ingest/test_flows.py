"""Flow exports (nfdump, Argus, CICFlowMeter, UNSW): sniffed by header, normalised flow fields."""

from datetime import UTC, datetime

from triage.detect.logsources import route
from triage.ingest.base import ArtifactSource
from triage.ingest.limits import Limits
from triage.ingest.registry import load_artifact
from triage.models import Record

NFDUMP = (
    "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out\n"
    "2024-05-01 08:00:00.125,2024-05-01 08:00:03.250,3.125,10.1.2.3,198.51.100.7,"
    "49812,443,TCP,...AP.SF,0,0,12,4200,0,0,1,2\n"
    "2024-05-01 08:00:01,2024-05-01 08:00:01,0.000,10.1.2.3,10.1.0.53,53001,53,UDP,"
    "........,0,0,1,72,0,0,1,2\n"
    "\n"
    "Summary\n"
    "flows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
    "2,4272,13,10935,3,328\n"
)
ARGUS = (
    "StartTime,Flgs,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,TotPkts,TotBytes,State\n"
    "2024/05/01 08:00:00.000123, e        ,tcp,10.1.2.3,49812,   ->,203.0.113.5,9001,40,38211,FIN\n"
    "2024/05/01 08:00:02.000000, e      ,icmp,10.1.2.3,0x0008,  <->,203.0.113.5,0x4d2b,2,196,ECO\n"
)
CIC = (
    "Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp,"
    " Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets,"
    " Total Length of Bwd Packets\n"
    "192.168.10.5-192.168.10.3-3389-55110-6,192.168.10.5,55110,192.168.10.3,3389,6,"
    "03/07/2017 08:55:58,2500000,10,8,1200,5400\n"
    "192.168.10.5-192.168.10.3-445-55111-6,192.168.10.5,55111,192.168.10.3,445,6,"
    "03/07/2017 08:56:01,1000,2,1,120,60\n"
)
UNSW = (
    "srcip,sport,dstip,dsport,proto,state,dur,sbytes,dbytes,spkts,dpkts,stime\n"
    "59.166.0.0,1390,149.171.126.6,53,udp,CON,0.001,132,164,2,2,1421927414\n"
    "59.166.0.0,33661,149.171.126.9,1024,udp,CON,0.036,528,304,4,4,1421927414\n"
)


def _load(text: str) -> tuple[str, list[Record]]:
    source = ArtifactSource(artifact_id="A1", path="flows.txt", data=text.encode())
    loaded = load_artifact(source, Limits())
    return loaded.format, loaded.records


def test_nfdump_csv_becomes_one_record_per_flow_without_the_summary() -> None:
    kind, records = _load(NFDUMP)
    assert kind == "netflow"
    assert [r.locator for r in records] == ["line:2", "line:3"]
    first = records[0].fields
    assert first["src_ip"] == "10.1.2.3" and first["dst_ip"] == "198.51.100.7"
    assert (first["src_port"], first["dst_port"], first["proto"]) == (49812, 443, "tcp")
    assert (first["bytes"], first["packets"], first["duration"]) == (4200, 12, 3.125)
    assert first["flags"] == "...AP.SF"
    assert first["sa"] == "10.1.2.3"  # the original columns stay
    assert records[0].source == "netflow"
    assert records[0].timestamp == datetime(2024, 5, 1, 8, 0, 0, 125000, tzinfo=UTC)
    assert first["start"] == "2024-05-01T08:00:00.125000+00:00"


def test_argus_ra_csv_is_normalised() -> None:
    kind, records = _load(ARGUS)
    assert kind == "netflow"
    tcp, icmp = (r.fields for r in records)
    assert (tcp["dst_ip"], tcp["dst_port"], tcp["bytes"], tcp["packets"]) == (
        "203.0.113.5",
        9001,
        38211,
        40,
    )
    assert tcp["state"] == "FIN" and tcp["Dir"] == "   ->"
    assert icmp["proto"] == "icmp" and icmp["src_port"] == 8  # Argus writes ICMP type in hex
    assert records[0].timestamp == datetime(2024, 5, 1, 8, 0, 0, 123, tzinfo=UTC)


def test_cicflowmeter_csv_sums_both_directions_and_converts_microseconds() -> None:
    kind, records = _load(CIC)
    assert kind == "netflow"
    rdp = records[0].fields
    assert (rdp["src_ip"], rdp["dst_port"], rdp["proto"]) == ("192.168.10.5", 3389, "tcp")
    assert (rdp["src_bytes"], rdp["dst_bytes"], rdp["bytes"]) == (1200, 5400, 6600)
    assert (rdp["packets"], rdp["duration"]) == (18, 2.5)
    assert records[0].timestamp == datetime(2017, 7, 3, 8, 55, 58, tzinfo=UTC)


def test_unsw_style_csv_reads_epoch_start() -> None:
    kind, records = _load(UNSW)
    assert kind == "netflow"
    fields = records[0].fields
    assert (fields["dst_port"], fields["bytes"], fields["packets"]) == (53, 296, 4)
    assert records[0].timestamp == datetime.fromtimestamp(1421927414, tz=UTC)


def test_address_columns_without_flow_measures_stay_generic_csv() -> None:
    export = (
        "TimeGenerated,SourceIP,DestinationIP,DestinationPort,Activity\n"
        "2024-05-01T08:00:00Z,10.0.0.5,203.0.113.9,443,allowed\n"
        "2024-05-01T08:00:01Z,10.0.0.6,203.0.113.9,443,allowed\n"
    )
    kind, records = _load(export)
    assert kind == "csv" and records[0].source == "csv"


def test_flow_records_route_to_network_netflow() -> None:
    _, records = _load(NFDUMP)
    logsource = route(records[0])
    assert logsource is not None
    assert logsource.product == "network" and logsource.services == {"netflow"}

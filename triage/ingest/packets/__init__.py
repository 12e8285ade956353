"""Packet-capture parsing for the pcap loader: packets to connections, and connection payloads
to Zeek-shaped rows (conn, dns, http, ssl, kerberos, ntlm, smb_mapping, smb_files, dce_rpc)."""

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAME
 *	counters.h - the one list of rcptgate's counters
 * DESCRIPTION
 *	Every counter the dataplane keeps is named here once, with its
 *	exported name, its kind and its help text. The daemon (per-lcore
 *	arrays summed by the control thread), rcptgatectl (stats, --json,
 *	--prometheus), the daemon's GET /metrics, DPDK telemetry and
 *	docs/counters.md are all generated from this list, so they cannot
 *	drift apart.
 *
 *	Kinds: RG_CK_COUNTER only ever grows; RG_CK_GAUGE is a level (it
 *	may go down); both are summed over lcores.
 *
 *	To add a counter: add one X() line in the right group, then
 *	regenerate the reference: rcptgatectl stats --doc > docs/counters.md
 *	(the ctl_counters unit test fails while the two disagree).
 */
#ifndef RCPTGATE_COUNTERS_H
#define RCPTGATE_COUNTERS_H

#include <rcptgate/bpf_maps.h> /* RG_XDP_COUNTERS */

enum rg_counter_kind { RG_CK_COUNTER, RG_CK_GAUGE };

/* X(ID, name, kind, help) */
#define RG_COUNTERS(X) \
	/* SMTP engine (dataplane/core/smtp) */ \
	X(SMTP_SESSIONS, "smtp_sessions", RG_CK_COUNTER, "SMTP sessions started") \
	X(SMTP_COMMANDS, "smtp_commands", RG_CK_COUNTER, "SMTP command lines read") \
	X(SMTP_RCPT_ACCEPT, "smtp_rcpt_accepted", RG_CK_COUNTER, \
	  "RCPT the policy accepted (250; when relayed, the backend has the last word)") \
	X(SMTP_RCPT_UNKNOWN, "smtp_rcpt_rejected_unknown", RG_CK_COUNTER, \
	  "RCPT rejected: user unknown (550 5.1.1 or 450 4.1.1)") \
	X(SMTP_RCPT_RELAY, "smtp_rcpt_rejected_relay", RG_CK_COUNTER, \
	  "RCPT rejected: domain not served (554 5.7.1)") \
	X(SMTP_RCPT_NO_TABLE, "smtp_rcpt_tempfail_no_table", RG_CK_COUNTER, \
	  "RCPT deferred: no recipient table loaded (451 4.3.0)") \
	X(SMTP_RCPT_BAD_ADDRESS, "smtp_rcpt_bad_address", RG_CK_COUNTER, \
	  "RCPT refused: bad address syntax (501 5.1.3)") \
	X(SMTP_RCPT_LIMIT, "smtp_rcpt_over_limit", RG_CK_COUNTER, \
	  "RCPT refused: over smtpd_recipient_limit (452 4.5.3)") \
	X(SMTP_RCPT_BURST, "smtp_rcpt_burst_lookups", RG_CK_COUNTER, \
	  "RCPT whose table lookup ran in one burst with the other RCPTs pipelined in the same input") \
	X(SMTP_RCPT_PREFETCHED, "smtp_rcpt_prefetched_lookups", RG_CK_COUNTER, \
	  "RCPT whose table lookup ran in one burst with the RCPTs of other sessions received with it") \
	X(SMTP_ERR_LINE_TOO_LONG, "smtp_err_line_too_long", RG_CK_COUNTER, \
	  "Command lines over 512 octets (500 5.5.2)") \
	X(SMTP_ERR_NUL, "smtp_err_nul", RG_CK_COUNTER, "Command lines with a NUL byte (500 5.5.2)") \
	X(SMTP_ERR_BARE_NEWLINE, "smtp_err_bare_newline", RG_CK_COUNTER, \
	  "Command lines with a bare CR or LF (500 5.5.2)") \
	X(SMTP_ERR_UNKNOWN_CMD, "smtp_err_unknown_command", RG_CK_COUNTER, "Unknown commands (502 5.5.2)") \
	X(SMTP_ERR_SYNTAX, "smtp_err_syntax", RG_CK_COUNTER, \
	  "Commands with bad syntax or parameters (500/501/555)") \
	X(SMTP_ERR_BAD_ADDRESS, "smtp_err_bad_sender", RG_CK_COUNTER, \
	  "MAIL/RCPT refused: bad sender, or non-ASCII without SMTPUTF8 (501 5.1.7, 553 5.6.7)") \
	X(SMTP_ERR_ORDER, "smtp_err_order", RG_CK_COUNTER, "Commands out of order (503 5.5.1)") \
	X(SMTP_ERR_SIZE, "smtp_err_size", RG_CK_COUNTER, \
	  "MAIL refused: SIZE over message_size_limit (552 5.3.4)") \
	X(SMTP_DATA_NO_RCPT, "smtp_data_no_rcpt", RG_CK_COUNTER, \
	  "DATA refused: no valid recipients (554 5.5.1)") \
	X(SMTP_DATA_NO_RELAY, "smtp_data_no_relay", RG_CK_COUNTER, \
	  "Messages read and deferred: no relay to the backend (451 4.3.0)") \
	X(SMTP_DATA_BARE_NEWLINE, "smtp_data_bare_newline", RG_CK_COUNTER, \
	  "Messages refused: bare CR or LF in the data (550 5.5.2)") \
	X(SMTP_DATA_TOO_BIG, "smtp_data_too_big", RG_CK_COUNTER, \
	  "Messages refused: over message_size_limit (552 5.3.4)") \
	X(SMTP_HARD_ERROR_LIMIT, "smtp_hard_error_limit", RG_CK_COUNTER, \
	  "Sessions closed at smtpd_hard_error_limit (421 4.7.0)") \
	X(SMTP_TIMEOUT, "smtp_timeouts", RG_CK_COUNTER, "Sessions closed idle at smtpd_timeout (421 4.4.2)") \
	X(SMTP_HTTP_DROP, "smtp_http_dropped", RG_CK_COUNTER, \
	  "Sessions dropped: the client sent an HTTP request") \
	X(SMTP_NO_LINEBUF, "smtp_no_line_buffer", RG_CK_COUNTER, \
	  "Sessions closed: no line buffer free (421 4.3.2)") \
	X(SMTP_QUIT, "smtp_quit", RG_CK_COUNTER, "Sessions ended by QUIT (221)") \
	X(SMTP_LOG_SUPPRESSED, "smtp_log_suppressed", RG_CK_COUNTER, \
	  "SMTP engine log lines (rejects, events, TLS, limits) suppressed by the rate limiter") \
	X(SMTP_STARTTLS, "smtp_starttls", RG_CK_COUNTER, "STARTTLS accepted (220 2.0.0)") \
	X(SMTP_STARTTLS_UNAVAILABLE, "smtp_starttls_unavailable", RG_CK_COUNTER, \
	  "STARTTLS refused: TLS not available now (454 4.7.0)") \
	X(SMTP_STARTTLS_INJECTED, "smtp_starttls_injected_octets", RG_CK_COUNTER, \
	  "Octets sent after STARTTLS before the handshake, discarded unexecuted") \
	X(SMTP_TLS_REQUIRED, "smtp_tls_required", RG_CK_COUNTER, \
	  "MAIL before STARTTLS at smtpd_tls_security_level = encrypt (530 5.7.0)") \
	/* client limits: Postfix's anvil (dataplane/core/anvil.c; the SMTP engine answers) */ \
	X(SMTP_CLIENT_CONN_LIMIT, "smtp_client_connection_count_limit", RG_CK_COUNTER, \
	  "Sessions refused: smtpd_client_connection_count_limit (421 4.7.0)") \
	X(SMTP_CLIENT_CONN_RATE, "smtp_client_connection_rate_limit", RG_CK_COUNTER, \
	  "Sessions refused: smtpd_client_connection_rate_limit (421 4.7.0)") \
	X(SMTP_CLIENT_RCPT_RATE, "smtp_client_recipient_rate_limit", RG_CK_COUNTER, \
	  "RCPT refused: smtpd_client_recipient_rate_limit (450 4.7.1)") \
	X(SMTP_DICT_BLOCK, "smtp_dictionary_blocks", RG_CK_COUNTER, \
	  "Sessions closed at dictionary_block_limit (421 4.7.0)") \
	X(ANVIL_EVICTIONS, "client_table_evictions", RG_CK_COUNTER, \
	  "Clients dropped from a worker's full client table to make room") \
	X(DICT_RING_FULL, "dictionary_ring_full", RG_CK_COUNTER, \
	  "Clients at dictionary_block_limit not handed to the control thread: its ring was full") \
	/* TLS: STARTTLS sessions (dataplane/core/tls, dataplane/core/tcp/tcp_smtp.c) */ \
	X(TLS_HANDSHAKES_STARTED, "tls_handshakes_started", RG_CK_COUNTER, \
	  "TLS handshakes begun after STARTTLS") \
	X(TLS_HANDSHAKES_COMPLETED, "tls_handshakes_completed", RG_CK_COUNTER, "TLS handshakes completed") \
	X(TLS_SESSION_LIMIT, "tls_session_limit_reached", RG_CK_COUNTER, \
	  "Times smtpd_tls_session_limit was reached: STARTTLS not offered until a TLS session ends") \
	X(TLS_HANDSHAKES_DEFERRED, "tls_handshakes_deferred", RG_CK_COUNTER, \
	  "Handshake steps put off to a later loop iteration: the iteration's handshake time was spent") \
	X(TLS_HANDSHAKE_QUEUE_FULL, "tls_handshake_queue_full", RG_CK_COUNTER, \
	  "Times the deferred handshakes reached their bound: STARTTLS not offered until they drained") \
	X(TLS_HANDSHAKES_FAILED, "tls_handshakes_failed", RG_CK_COUNTER, \
	  "TLS handshakes failed: alert, refused protocol, garbage, no memory") \
	X(TLS_V1_2, "tls_v1_2", RG_CK_COUNTER, "TLS handshakes completed with TLS 1.2") \
	X(TLS_V1_3, "tls_v1_3", RG_CK_COUNTER, "TLS handshakes completed with TLS 1.3") \
	X(TLS_CLOSED_BY_PEER, "tls_sessions_closed_by_peer", RG_CK_COUNTER, \
	  "TLS sessions the client ended with close_notify") \
	X(TLS_ERRORS, "tls_session_errors", RG_CK_COUNTER, \
	  "TLS sessions closed after the handshake: bad record, alert, plaintext over its bound") \
	X(TLS_HANDSHAKE_CPU_NS, "tls_handshake_cpu_ns", RG_CK_COUNTER, \
	  "Worker CPU time in TLS handshake steps, ns (thread clock: time preempted not counted; measured " \
	  "on one handshake in 8, the first included, times 8)") \
	X(TLS_WALL_NS, "tls_wall_ns", RG_CK_COUNTER, \
	  "Elapsed time of the same handshake steps, ns (the same one in 8, times 8): the part above their " \
	  "CPU time was preemption") \
	/* RELAY: relay of accepted mail to the backend (dataplane/core/relay) */ \
	X(RELAY_CONN_OPENED, "relay_connections_opened", RG_CK_COUNTER, \
	  "Backend connections opened (TCP connected)") \
	X(RELAY_CONN_FAILED, "relay_connections_failed", RG_CK_COUNTER, \
	  "Backend connections failed: refused, unreachable, bad greeting or handshake") \
	X(RELAY_CONN_REUSED, "relay_connections_reused", RG_CK_COUNTER, \
	  "Backend connections taken from the idle pool") \
	X(RELAY_XCLIENT, "relay_xclient", RG_CK_COUNTER, "XCLIENT sent to the backend") \
	X(RELAY_MESSAGES, "relay_messages", RG_CK_COUNTER, \
	  "Messages the backend accepted (2xx after the data)") \
	X(RELAY_MESSAGES_FAILED, "relay_messages_failed", RG_CK_COUNTER, \
	  "Messages not accepted: backend 4xx/5xx, lost, timed out or aborted") \
	X(RELAY_BYTES, "relay_bytes", RG_CK_COUNTER, "Message octets written to the backend") \
	X(RELAY_REPLY_2XX, "relay_backend_replies_2xx", RG_CK_COUNTER, "Backend replies 2xx") \
	X(RELAY_REPLY_3XX, "relay_backend_replies_3xx", RG_CK_COUNTER, "Backend replies 3xx") \
	X(RELAY_REPLY_4XX, "relay_backend_replies_4xx", RG_CK_COUNTER, "Backend replies 4xx") \
	X(RELAY_REPLY_5XX, "relay_backend_replies_5xx", RG_CK_COUNTER, "Backend replies 5xx") \
	X(RELAY_TIMEOUT, "relay_timeouts", RG_CK_COUNTER, \
	  "Backend replies not received in time (connection dropped)") \
	X(RELAY_PROTO_ERROR, "relay_protocol_errors", RG_CK_COUNTER, \
	  "Backend replies that were not SMTP (connection dropped)") \
	X(RELAY_BUSY, "relay_busy", RG_CK_COUNTER, \
	  "Relay requests refused: no relay slot, request buffer or ring space (451 4.3.0)") \
	/* TCP (dataplane/core/tcp) */ \
	X(TCP_SEGS_IN, "tcp_segments_in", RG_CK_COUNTER, "TCP segments received for the listen address") \
	X(TCP_SEGS_OUT, "tcp_segments_out", RG_CK_COUNTER, "TCP segments sent") \
	X(TCP_TX_FAIL, "tcp_tx_failures", RG_CK_COUNTER, \
	  "TCP segments not queued for sending (no mbuf or TX full)") \
	X(TCP_DROP_CSUM, "tcp_drop_checksum", RG_CK_COUNTER, "TCP segments dropped: bad checksum") \
	X(TCP_DROP_HDR, "tcp_drop_header", RG_CK_COUNTER, "TCP segments dropped: bad header or options") \
	X(TCP_DROP_FLAGS, "tcp_drop_flags", RG_CK_COUNTER, "TCP segments dropped: SYN with FIN or RST") \
	X(TCP_CLOSED_PORT, "tcp_closed_port", RG_CK_COUNTER, \
	  "TCP segments to a port or address we do not serve (answered with RST)") \
	X(TCP_UNKNOWN_CONN, "tcp_unknown_connection", RG_CK_COUNTER, \
	  "TCP segments of no known connection (answered with RST)") \
	X(TCP_SEGS_PASSED, "tcp_segments_passed", RG_CK_COUNTER, \
	  "TCP segments of no connection of this worker handed on to the next one (af_packet with several " \
	  "workers: the kernel gives a full ring's frames to another worker's socket); counted in " \
	  "tcp_segments_in by the worker that takes them") \
	X(TCP_RST_SENT, "tcp_rst_sent", RG_CK_COUNTER, "RST sent in reply to a segment") \
	X(TCP_CONNS, "tcp_connections", RG_CK_GAUGE, "TCP connections held, SYN-RECEIVED included") \
	X(TCP_SYN_RCVD, "tcp_syn_received", RG_CK_GAUGE, "TCP connections in SYN-RECEIVED") \
	X(TCP_BUFFERS_USED, "tcp_buffers_used", RG_CK_GAUGE, "TCP send buffers in use") \
	X(TCP_ESTABLISHED, "tcp_established", RG_CK_COUNTER, "TCP connections established") \
	X(TCP_CLOSED, "tcp_closed", RG_CK_COUNTER, "Established TCP connections closed, any reason") \
	X(TCP_SYN_DUPLICATE, "tcp_syn_duplicate", RG_CK_COUNTER, \
	  "Retransmitted SYNs answered with the SYN-ACK again") \
	X(TCP_SYNACK_REXMT, "tcp_synack_retransmits", RG_CK_COUNTER, "SYN-ACKs retransmitted on timeout") \
	X(TCP_SYN_RCVD_TIMEOUTS, "tcp_syn_received_timeouts", RG_CK_COUNTER, \
	  "SYN-RECEIVED entries dropped: handshake never completed") \
	X(TCP_COOKIES_SENT, "tcp_syncookies_sent", RG_CK_COUNTER, \
	  "SYN cookies sent (SYN-RECEIVED table at tcp_syn_backlog)") \
	X(TCP_COOKIES_OK, "tcp_syncookies_valid", RG_CK_COUNTER, \
	  "Connections established from a valid SYN cookie") \
	X(TCP_CAP_CONNS, "tcp_cap_connections", RG_CK_COUNTER, "SYNs dropped: max_connections reached") \
	X(TCP_CAP_PER_SOURCE, "tcp_cap_per_source", RG_CK_COUNTER, \
	  "SYNs dropped: max_connections_per_source reached") \
	X(TCP_CAP_BUFFERS, "tcp_cap_buffers", RG_CK_COUNTER, \
	  "Replies delayed or connections reset: tcp_buffer_limit reached") \
	X(TCP_EARLY_TALKER, "tcp_early_talker", RG_CK_COUNTER, \
	  "Connections reset: client sent before acknowledging the greeting") \
	X(TCP_RST_RECEIVED, "tcp_rst_received", RG_CK_COUNTER, "Connections reset by the client") \
	X(TCP_RST_IGNORED, "tcp_rst_ignored", RG_CK_COUNTER, \
	  "RSTs ignored: out of window or for no connection") \
	X(TCP_CHALLENGE_ACKS, "tcp_challenge_acks", RG_CK_COUNTER, \
	  "RFC 5961 challenge ACKs sent (in-window RST, SYN on a connection)") \
	X(TCP_CHALLENGE_LIMITED, "tcp_challenge_acks_limited", RG_CK_COUNTER, \
	  "Challenge ACKs not sent: per-second limit reached") \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window", RG_CK_COUNTER, \
	  "TCP segments outside the receive window (answered with an ACK)") \
	X(TCP_OUT_OF_ORDER, "tcp_out_of_order", RG_CK_COUNTER, \
	  "TCP segments ahead of the expected sequence number (dropped, duplicate ACK)") \
	X(TCP_DATA_AFTER_FIN, "tcp_data_after_fin", RG_CK_COUNTER, \
	  "TCP segments with data after the client's FIN (ignored)") \
	X(TCP_DATA_AFTER_CLOSE, "tcp_data_after_close", RG_CK_COUNTER, \
	  "TCP segments with data after the session ended (read and dropped)") \
	X(TCP_BACKPRESSURE, "tcp_backpressure", RG_CK_COUNTER, \
	  "TCP segments only partly taken: replies and held input full, or no buffer (rest not " \
	  "acknowledged)") \
	X(TCP_INPUT_HELD, "tcp_input_held", RG_CK_COUNTER, \
	  "TCP segments held in part or whole until the client's ACK freed reply space") \
	X(TCP_DELAYED_ACKS, "tcp_delayed_acks", RG_CK_COUNTER, "ACKs sent by the delayed-ACK timer") \
	X(TCP_REXMT, "tcp_retransmits", RG_CK_COUNTER, "Retransmission timeouts (data or FIN sent again)") \
	X(TCP_REXMT_ABORTS, "tcp_retransmit_aborts", RG_CK_COUNTER, \
	  "Connections reset: retransmission limit reached") \
	X(TCP_WINDOW_PROBES, "tcp_window_probes", RG_CK_COUNTER, "Zero-window probes sent") \
	X(TCP_IDLE_TIMEOUTS, "tcp_idle_timeouts", RG_CK_COUNTER, "Connections idle past smtpd_timeout") \
	X(TCP_PASSIVE_CLOSES, "tcp_passive_closes", RG_CK_COUNTER, \
	  "Sessions closed by the client's FIN after the server's goodbye (no TIME_WAIT)") \
	X(TCP_CLIENT_CLOSES, "tcp_client_closes", RG_CK_COUNTER, \
	  "Sessions closed by the client's FIN before the server's goodbye") \
	X(TCP_ACTIVE_CLOSES, "tcp_active_closes", RG_CK_COUNTER, \
	  "Sessions closed by our FIN: no client FIN in time after the goodbye") \
	X(TCP_CLOSE_TIMEOUTS, "tcp_close_timeouts", RG_CK_COUNTER, \
	  "Connections reset: the FIN exchange did not finish in time") \
	X(TCP_APP_ABORTS, "tcp_app_aborts", RG_CK_COUNTER, "Connections reset at the SMTP engine's request") \
	/* ports and the network layer */ \
	X(RX_PACKETS, "rx_packets", RG_CK_COUNTER, "Packets received from the port") \
	X(RX_BYTES, "rx_bytes", RG_CK_COUNTER, "Bytes received from the port") \
	X(RX_MISSED, "rx_missed", RG_CK_COUNTER, \
	  "Frames the port dropped before a worker saw them: its RX ring was full (imissed; af_packet and " \
	  "af_xdp: the kernel socket's count)") \
	X(RX_NOMBUF, "rx_nombuf", RG_CK_COUNTER, "Frames the port dropped for want of an mbuf (rx_nombuf)") \
	X(WORKER_BUSY_CYCLES, "worker_busy_cycles", RG_CK_COUNTER, \
	  "TSC cycles of worker loop iterations that did work") \
	X(WORKER_BUSY_LOOPS, "worker_busy_loops", RG_CK_COUNTER, "Worker loop iterations that did work") \
	X(WORKER_PORT_RX_CYCLES, "worker_port_rx_cycles", RG_CK_COUNTER, \
	  "TSC cycles in the port's receive calls that returned frames: the driver's share of " \
	  "worker_busy_cycles") \
	X(WORKER_PORT_TX_CYCLES, "worker_port_tx_cycles", RG_CK_COUNTER, \
	  "TSC cycles in the port's transmit calls: the driver's share of worker_busy_cycles") \
	X(WORKER_SLOW_LOOPS, "worker_slow_loops", RG_CK_COUNTER, \
	  "Worker loop iterations longer than 0.5 ms (under 1% of busy loops: p99 within 0.5 ms)") \
	X(TX_PACKETS, "tx_packets", RG_CK_COUNTER, "Packets sent to the port") \
	X(TX_BYTES, "tx_bytes", RG_CK_COUNTER, "Bytes sent to the port") \
	X(PASS_RING_FULL, "pass_ring_full", RG_CK_COUNTER, \
	  "TCP segments handed on (tcp_segments_passed) but dropped: the next worker's ring was full, or " \
	  "still held it when the workers stopped") \
	X(TX_FULL, "tx_full_drops", RG_CK_COUNTER, \
	  "Packets dropped because the TX queue was full and the worker already held 1,024 waiting for it, " \
	  "or still held when the worker stopped") \
	X(MBUF_ALLOC_FAIL, "mbuf_alloc_failures", RG_CK_COUNTER, \
	  "Replies not sent because no mbuf was free") \
	X(ARP_REQUESTS, "arp_requests", RG_CK_COUNTER, "ARP requests for the listen address answered") \
	X(ICMP_ECHO, "icmp_echo_replies", RG_CK_COUNTER, \
	  "ICMP echo requests to the listen address answered") \
	X(DROP_RUNT, "drop_runt", RG_CK_COUNTER, "Frames dropped: shorter than their headers say") \
	X(DROP_ETHERTYPE, "drop_ethertype", RG_CK_COUNTER, \
	  "Frames dropped: ethertype neither IPv4, IPv6 nor ARP, or a family not served") \
	X(DROP_ARP_OTHER, "drop_arp_other", RG_CK_COUNTER, \
	  "ARP frames dropped: not a request for the listen address") \
	X(DROP_NOT_OURS, "drop_not_ours", RG_CK_COUNTER, \
	  "IPv4 and IPv6 packets dropped: destination is not the listen address") \
	X(DROP_IP_HDR, "drop_ip_header", RG_CK_COUNTER, \
	  "IPv4 packets dropped: bad version, header length or total length") \
	X(DROP_IP_CSUM, "drop_ip_checksum", RG_CK_COUNTER, "IPv4 packets dropped: bad header checksum") \
	X(DROP_IP_FRAG, "drop_ip_fragment", RG_CK_COUNTER, "IPv4 fragments dropped (not reassembled)") \
	X(DROP_IP_PROTO, "drop_ip_proto", RG_CK_COUNTER, \
	  "IPv4 packets dropped: protocol neither ICMP nor TCP") \
	X(DROP_ICMP_OTHER, "drop_icmp_other", RG_CK_COUNTER, \
	  "ICMP packets dropped: not an echo request, or bad checksum") \
	X(NDP_SOLICITS, "ndp_solicits", RG_CK_COUNTER, \
	  "IPv6 neighbour solicitations for the listen address answered") \
	X(ICMP6_ECHO, "icmp6_echo_replies", RG_CK_COUNTER, \
	  "ICMPv6 echo requests to the listen address answered") \
	X(IP6_EXT_SKIPPED, "ip6_ext_skipped", RG_CK_COUNTER, \
	  "IPv6 extension headers skipped (hop-by-hop, destination options, routing with no segments left)") \
	X(DROP_IP6_HDR, "drop_ip6_header", RG_CK_COUNTER, \
	  "IPv6 packets dropped: bad version, or an extension header cut short or out of place") \
	X(DROP_IP6_FRAG, "drop_ip6_fragment", RG_CK_COUNTER, "IPv6 fragments dropped (not reassembled)") \
	X(DROP_IP6_ROUTING, "drop_ip6_routing", RG_CK_COUNTER, \
	  "IPv6 packets dropped: routing header with segments left") \
	X(DROP_IP6_EXT, "drop_ip6_ext_chain", RG_CK_COUNTER, \
	  "IPv6 packets dropped: more than 4 extension headers") \
	X(DROP_IP6_PROTO, "drop_ip6_proto", RG_CK_COUNTER, \
	  "IPv6 packets dropped: next header neither ICMPv6 nor TCP") \
	X(DROP_NDP_OTHER, "drop_ndp_other", RG_CK_COUNTER, \
	  "Neighbour solicitations dropped: not for the listen address, hop limit not 255, or bad options") \
	X(DROP_ICMP6_OTHER, "drop_icmp6_other", RG_CK_COUNTER, \
	  "ICMPv6 packets dropped: neither echo request nor neighbour solicitation, or bad checksum") \
	X(DROP_TCP_NO_STACK, "drop_tcp_no_stack", RG_CK_COUNTER, \
	  "TCP segments dropped: no TCP handler on this lcore") \
	X(DROP_BLOCKED, "drop_blocked", RG_CK_COUNTER, "Packets dropped: source address on the blocklist") \
	/* recipient table and control socket (dataplane/dpdk/ctl): counted by the control thread */ \
	X(TABLE_GENERATION, "table_generation", RG_CK_GAUGE, \
	  "Generation of the recipient table serving (0: none loaded yet)") \
	X(TABLE_ENTRIES, "table_entries", RG_CK_GAUGE, \
	  "Addresses in the recipient table serving (0: no table)") \
	X(TABLE_RELOADS_OK, "table_reloads", RG_CK_COUNTER, \
	  "Recipient tables loaded and published (start-up load included)") \
	X(TABLE_RELOADS_FAILED, "table_reloads_failed", RG_CK_COUNTER, \
	  "Recipient table loads refused: unreadable, corrupt or shrunk (old table kept)") \
	X(TLS_RELOADS_OK, "tls_reloads", RG_CK_COUNTER, \
	  "Certificate reloads published (rcptgatectl tls reload)") \
	X(TLS_RELOADS_FAILED, "tls_reloads_failed", RG_CK_COUNTER, \
	  "Certificate reloads refused: a file unreadable, malformed or not matching (old ones kept)") \
	X(TLS_CONTEXTS_RETIRED, "tls_contexts_retired", RG_CK_GAUGE, \
	  "Replaced TLS contexts still serving sessions that started on them") \
	X(DICT_BLOCKS, "dictionary_blocks", RG_CK_COUNTER, \
	  "Clients put on the blocklist at dictionary_block_limit, for dictionary_block_time") \
	X(DICT_RELEASES, "dictionary_releases", RG_CK_COUNTER, \
	  "Automatic blocklist entries released: expired, or deleted with rcptgatectl block del") \
	X(DICT_BLOCKS_FAILED, "dictionary_blocks_failed", RG_CK_COUNTER, \
	  "Clients at dictionary_block_limit not blocked: 4096 automatic entries already, or the list " \
	  "refused it") \
	X(DICT_BLOCKS_ACTIVE, "dictionary_blocks_active", RG_CK_GAUGE, \
	  "Automatic blocklist entries now (at most 4096)") \
	X(CTL_REQUESTS, "ctl_requests", RG_CK_COUNTER, "Control socket requests answered") \
	X(CTL_ERRORS, "ctl_request_errors", RG_CK_COUNTER, "Control socket requests answered with an error") \
	X(METRICS_SCRAPES, "metrics_scrapes", RG_CK_COUNTER, \
	  "GET or HEAD /metrics answered 200 on metrics_listen") \
	X(METRICS_BAD_REQUESTS, "metrics_bad_requests", RG_CK_COUNTER, \
	  "metrics_listen requests refused as malformed (400, 505) or over 8 KiB of head (431)") \
	X(METRICS_NOT_FOUND, "metrics_not_found", RG_CK_COUNTER, \
	  "metrics_listen requests for a path other than /metrics (404)") \
	X(METRICS_NOT_ALLOWED, "metrics_method_not_allowed", RG_CK_COUNTER, \
	  "metrics_listen requests with a method other than GET or HEAD (405)") \
	X(METRICS_TIMEOUTS, "metrics_timeouts", RG_CK_COUNTER, \
	  "metrics_listen connections closed: request or response not done within 10 s") \
	X(METRICS_REFUSED, "metrics_connections_refused", RG_CK_COUNTER, \
	  "metrics_listen connections closed at once: 16 already open") \
	/* logs (dataplane/dpdk/logger.c) */ \
	X(LOG_RING_FULL, "log_ring_full", RG_CK_COUNTER, \
	  "Log lines dropped on a worker: its log ring was full (counters unaffected)") \
	X(LOG_WRITE_ERRORS, "log_write_errors", RG_CK_COUNTER, \
	  "Log lines syslog or maillog_file refused (written to stderr instead)") \
	/* XDP steering program (bpf/): read from its per-CPU map, not counted by lcores */ \
	RG_XDP_COUNTERS(X)

enum rg_counter {
#define RG_COUNTER_ENUM(id, name, kind, help) RG_C_##id,
	RG_COUNTERS(RG_COUNTER_ENUM)
#undef RG_COUNTER_ENUM
		RG_C_MAX
};

struct rg_counter_info {
	const char *name;
	enum rg_counter_kind kind;
	const char *help;
};

static const struct rg_counter_info rg_counter_info[] = {
#define RG_COUNTER_INFO(id, name, kind, help) [RG_C_##id] = { name, kind, help },
	RG_COUNTERS(RG_COUNTER_INFO)
#undef RG_COUNTER_INFO
};

_Static_assert(sizeof(rg_counter_info) / sizeof(rg_counter_info[0]) == RG_C_MAX,
	       "counter name table out of step with enum rg_counter");

#endif /* RCPTGATE_COUNTERS_H */

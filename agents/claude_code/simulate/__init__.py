"""A deterministic Claude Code fleet: telemetry as a Prometheus would hold it, and the truth.

`fleet` generates users, sessions, processes and their events; `exposition`
turns them into the samples a collector `prometheus` exporter (scraped every
15 s) and Tempo's metrics-generator would leave in Prometheus; `truth`
computes the figures the dashboard should show from the events themselves.
"""

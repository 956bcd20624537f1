"""The doctor's findings and their rendering; the checks belong to each telemetry pack."""

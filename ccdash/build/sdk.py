"""The pinned grafana-foundation-sdk, imported once with its deprecation noise filtered.

The SDK's classic `builders.dashboard` (and the v2beta1 models several panel
builders import) warn at import time that v2 is preferred. ccdash targets the
classic schema that the sidecar and `/api` accept, so the warning carries no
information for us, and left alone it breaks `python -W error`. Content
imports SDK modules from here rather than from the SDK directly.
"""

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from grafana_foundation_sdk.builders import (
        bargauge,
        common,
        dashboard,
        dashboardv2,
        heatmap,
        piechart,
        prometheus,
        stat,
        table,
        tempo,
        timeseries,
    )
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models import common as common_models
    from grafana_foundation_sdk.models import dashboard as dashboard_models
    from grafana_foundation_sdk.models import dashboardv2 as dashboardv2_models
    from grafana_foundation_sdk.models import heatmap as heatmap_models
    from grafana_foundation_sdk.models import piechart as piechart_models
    from grafana_foundation_sdk.models import prometheus as prometheus_models

__all__ = [
    "JSONEncoder",
    "bargauge",
    "common",
    "common_models",
    "dashboard",
    "dashboard_models",
    "dashboardv2",
    "dashboardv2_models",
    "heatmap",
    "heatmap_models",
    "piechart",
    "piechart_models",
    "prometheus",
    "prometheus_models",
    "stat",
    "table",
    "tempo",
    "timeseries",
]

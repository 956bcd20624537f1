"""`ccdash build`: dashboard modules -> compiled models -> JSON, ConfigMaps and rule files."""

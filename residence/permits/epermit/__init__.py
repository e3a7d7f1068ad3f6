"""The electronic permit (电子居住证): signed tokens on cards and phones, verification online and offline, the
published status list, the signing keys. `services.py` is the entry point; `tokens.py` and `statuslist.py` hold the
formats and need no database."""

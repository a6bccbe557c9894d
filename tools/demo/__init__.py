"""The offline demo: a seeded scenario and the recorded responses built from it.

`scenario.py` generates the market paths (documented, seeded); each `rec_<provider>.py` module
turns them into response bodies in the provider's exact shape; `build.py` writes them all into
`signaldesk/data/demo/` (shipped in the package and replayed by `signaldesk demo`).
"""

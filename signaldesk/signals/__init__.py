"""The signal engine: rulebook → indicators → composite score, phase, stance, levels, watch list.

Entry points live in `engine.py` (`assess`, `assess_snapshot_file`, `assess_store`,
`resolve_rulebook`); `history.py` gives the causal daily score history for backtests and
`serialize.py` the `signals.json` structure. Nothing is imported here, so importing a submodule
stays cheap for `signaldesk --help`.
"""

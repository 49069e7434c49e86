"""Joins: what only one audit can see, because it holds several checks' records at once.

A join is not a check: it collects nothing. The run's joins stage (``joins/stage.py``) keeps what
a join needs from the checks it joins while they run, holds back the findings a join may
replace, and after the checks runs the pure join (``leaked_keys.py``: a committed key joined to
the live key), whose findings pass the same exception screen into the same spool.
"""

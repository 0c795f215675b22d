"""Section 1 (Account / Authentication): the decisions Graph, Exchange (1.2) or Secure Score can make, one module per
subject.

Each function takes Graph-shaped JSON (the `value` list, or the object for singletons) and returns a Finding or,
when its source cannot decide by the rule, a NoDecision so the next source of the chain is tried. None of them
fetches or raises for missing data; the plan gates (Entra ID P2 for 1.1.8-1.1.11) are applied by the wiring first.
"""

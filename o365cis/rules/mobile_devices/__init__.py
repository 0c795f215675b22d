"""Section 7 (Mobile Device Management): Intune policies (beta lists) and the Exchange ActiveSync fallback.

The Intune rules implement the "MDM coverage" term of docs/CONCEPTS.md: a platform is covered when at least one
assigned policy of that platform (compliance policy or device restriction profile) meets the threshold; the
password thresholds also need that policy to require a password. Every assigned policy of a platform is judged
and listed, not only the first. The ActiveSync fallback judges the default Get-MobileDeviceMailboxPolicy item.
"""

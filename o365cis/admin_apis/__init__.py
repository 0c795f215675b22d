"""The Teams and SharePoint admin REST APIs (3.3, 3.7 and the opt-in 2.5): plain GETs, no PowerShell."""

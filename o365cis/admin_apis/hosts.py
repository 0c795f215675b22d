"""Where the Teams and SharePoint admin APIs live in each cloud, and the token scopes they accept."""

from __future__ import annotations

from o365cis.settings import ScanSettings

#: The "Skype and Teams Tenant Admin API" application: the Teams PowerShell module asks for a token with this
#: scope. Microsoft does not document it as a public API; the id is the one that module and peers use.
TEAMS_RESOURCE = "48ac35b8-9aa8-4d74-927d-1f4a14a0b239"

#: The Teams admin API host per cloud (from the hosts the Teams PowerShell module uses; undocumented by Microsoft).
#: The spec gives GCC High and DoD the same host; the China host is not known to this scanner: pass --teams-url.
TEAMS_HOSTS: dict[str, str] = {
    "global": "https://api.interfaces.records.teams.microsoft.com",
    "usgov": "https://api.interfaces.records.gov.teams.microsoft.us",
    "usgovdod": "https://api.interfaces.records.gov.teams.microsoft.us",
}

#: SharePoint Online's DNS suffix per cloud: sharepoint.us (GCC High), sharepoint-mil.us (DoD), sharepoint.cn
#: (21Vianet), as SharePoint's own PowerShell tooling names the national clouds. Not checked against a Microsoft page
#: here: --sharepoint-admin-url overrides it.
SHAREPOINT_SUFFIXES: dict[str, str] = {
    "global": "sharepoint.com",
    "usgov": "sharepoint.us",
    "usgovdod": "sharepoint-mil.us",
    "china": "sharepoint.cn",
}


def teams_base(settings: ScanSettings) -> str | None:
    """--teams-url, else the cloud's Teams admin host; None when the cloud has no known host."""
    return settings.teams_url or TEAMS_HOSTS.get(settings.cloud)


def sharepoint_admin_base(settings: ScanSettings, initial_domain: str | None) -> str | None:
    """--sharepoint-admin-url, else https://<first label of the initial domain>-admin.<cloud suffix>.

    None when neither is known (the initial domain could not be read).
    """
    if settings.sharepoint_admin_url:
        return settings.sharepoint_admin_url
    suffix = SHAREPOINT_SUFFIXES.get(settings.cloud)
    if not initial_domain or suffix is None:
        return None
    return f"https://{initial_domain.split('.')[0].lower()}-admin.{suffix}"

"""Repository-root conftest: registers the o365-cis plugin when the project is not pip-installed.

An installed copy registers it through its `pytest11` entry point under the same name, so pytest
never loads it twice.
"""

pytest_plugins = ["plugins.cis_plugin"]

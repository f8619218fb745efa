"""Static files in production: WhiteNoise's compressed storage with a manifest of hashed names."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage, with each file's URL worked out once per process.

    The manifest is read when the storage is made and does not change while the app runs, so a
    name always gives the same URL; every page asks for the same few (its stylesheet, script
    and icon), and the lookup and URL joining cost about as much as a small template tag.
    A name missing from the manifest still raises every time (nothing is remembered for it).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url

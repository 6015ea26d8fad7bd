"""The public API: what ``import runback`` promises."""

import runback


def test_public_names_resolve():
    for name in runback.__all__:
        assert getattr(runback, name) is not None, name
    assert runback.TrainingLog.__module__ == "runback.log"
    assert callable(runback.import_activities)


def test_errors_form_one_tree():
    for name in ["ReadError", "UnsupportedFormatError", "NotAnActivityError", "SchemaError",
                 "DiaryError", "InsufficientDataError"]:
        assert issubclass(getattr(runback, name), runback.RunbackError)
    e = runback.ReadError("run.fit", "file is truncated", position=120)
    assert str(e) == "run.fit: file is truncated (at byte 120)"

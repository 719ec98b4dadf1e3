"""The web process's start-up: what it has loaded is kept out of the cyclic collector's full passes."""
import gc


def test_startup_freezes_what_is_loaded_and_shutdown_lets_it_go():
    from server.app import create_app, freeze_what_is_loaded, unfreeze

    app = create_app()
    assert app.on_startup[-1] is freeze_what_is_loaded  # after everything else has loaded
    assert unfreeze in app.on_shutdown
    gc.unfreeze()
    try:
        freeze_what_is_loaded()
        assert gc.get_freeze_count() > 50_000  # Litestar, Piccolo and our modules
    finally:
        unfreeze()
    assert gc.get_freeze_count() == 0

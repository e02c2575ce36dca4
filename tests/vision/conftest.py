"""Fixtures shared by the embervision tests."""

import pytest

import ember


@pytest.fixture
def seeded():
    """Seed ember's generator for the test and put its state back afterwards."""
    state = ember.get_rng_state()
    ember.manual_seed(0)
    yield
    ember.set_rng_state(state)

"""Shared fixtures for the lstmlib.torch tests: the devices this machine has."""

from lstmlib.device import available_devices

DEVICES = available_devices()

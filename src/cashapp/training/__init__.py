"""Offline learning: datasets from confirmed decisions and generated data, training and
evaluation of the shipped models. Only the command line imports it.
"""

"""Helpers of etcd_diff.py: process control, HTTP clients, normalisation, the scripted and random sequences."""

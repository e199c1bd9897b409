"""insbench: benchmark MLIPs against inelastic neutron scattering spectra."""
__version__ = "0.1.0"

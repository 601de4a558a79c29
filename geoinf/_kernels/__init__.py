"""The compiled (numba) kernels: an optional engine, imported only by :mod:`geoinf.engine`.

``series`` (GeographicLib's series coefficients and the small numeric helpers the
others share), ``direct`` (the direct geodesic problem and uniform ring vertices),
``densify`` (the densification plan and fill), ``assembly`` (closing rings into disc
polygons), ``inverse`` (the inverse problem: distances and azimuths), ``pairs``
(place x site distances for cities in range), ``segments`` (the point x edge search
of distances to lines and areas), ``curves`` (sampling the offset curves of buffers) and
``intervals`` (the column runs where discs meet raster rows, and their sums per window).
Every module here imports numba: install it with ``pip install "geoinf[speedups]"``; pyproj
stays the reference.
"""

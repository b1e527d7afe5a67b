//! Places: cities with their state and ZIP range, street names, USPS suffixes and
//! directionals (with the spelled-out forms requesters write).

/// `(city, state, first three ZIP digits)`; weighted by position (larger cities first).
pub const CITIES: &[(&str, &str, u16)] = &[
    ("LOS ANGELES", "CA", 900),
    ("HOUSTON", "TX", 770),
    ("NEW YORK", "NY", 100),
    ("CHICAGO", "IL", 606),
    ("MIAMI", "FL", 331),
    ("PHOENIX", "AZ", 850),
    ("DALLAS", "TX", 752),
    ("SAN ANTONIO", "TX", 782),
    ("SAN DIEGO", "CA", 921),
    ("SAN JOSE", "CA", 951),
    ("BROOKLYN", "NY", 112),
    ("QUEENS", "NY", 113),
    ("ATLANTA", "GA", 303),
    ("SEATTLE", "WA", 981),
    ("DENVER", "CO", 802),
    ("LAS VEGAS", "NV", 891),
    ("ORLANDO", "FL", 328),
    ("PHILADELPHIA", "PA", 191),
    ("BOSTON", "MA", 21),
    ("DETROIT", "MI", 482),
    ("MINNEAPOLIS", "MN", 554),
    ("SACRAMENTO", "CA", 958),
    ("FRESNO", "CA", 937),
    ("EL PASO", "TX", 799),
    ("AUSTIN", "TX", 787),
    ("CHARLOTTE", "NC", 282),
    ("NASHVILLE", "TN", 372),
    ("PORTLAND", "OR", 972),
    ("NEWARK", "NJ", 71),
    ("PATERSON", "NJ", 75),
    ("ALBUQUERQUE", "NM", 871),
    ("TUCSON", "AZ", 857),
    ("COLUMBUS", "OH", 432),
    ("INDIANAPOLIS", "IN", 462),
    ("RALEIGH", "NC", 276),
    ("OMAHA", "NE", 681),
    ("SALT LAKE CITY", "UT", 841),
    ("BALTIMORE", "MD", 212),
    ("SPRINGFIELD", "IL", 627),
    ("SPRINGFIELD", "MA", 11),
];

/// Street names (without suffix).
pub const STREETS: &str = "MAIN OAK MAPLE PINE CEDAR ELM WASHINGTON LAKE HILL PARK WALNUT SPRING NORTH RIDGE LINCOLN JEFFERSON MADISON FRANKLIN JACKSON CHURCH HIGH MILL RIVER SUNSET HIGHLAND CHERRY WILLOW MEADOW FOREST VALLEY CENTER MARKET BROADWAY UNION GRANT ADAMS MONROE LIBERTY CHESTNUT HICKORY BIRCH ASPEN SYCAMORE MAGNOLIA DOGWOOD LAUREL VISTA COLLEGE SCHOOL STATION WATER MILITARY CANYON MESA PALM OCEAN BAY HARBOR KING QUEEN PROSPECT ORCHARD GARDEN GREEN LOCUST POPLAR JUNIPER SIERRA ALAMEDA CAMINO REAL SANTA FE MISSION EUCLID FAIRVIEW GLENWOOD WOODLAND";

/// USPS Publication 28 suffix abbreviations with their spelled-out form, most common first.
pub const SUFFIXES: &[(&str, &str)] = &[
    ("ST", "STREET"),
    ("AVE", "AVENUE"),
    ("RD", "ROAD"),
    ("DR", "DRIVE"),
    ("LN", "LANE"),
    ("BLVD", "BOULEVARD"),
    ("CT", "COURT"),
    ("WAY", "WAY"),
    ("PL", "PLACE"),
    ("CIR", "CIRCLE"),
    ("TER", "TERRACE"),
    ("PKWY", "PARKWAY"),
    ("HWY", "HIGHWAY"),
];

/// Directional abbreviations with their spelled-out form.
pub const DIRECTIONALS: &[(&str, &str)] = &[
    ("N", "NORTH"),
    ("S", "SOUTH"),
    ("E", "EAST"),
    ("W", "WEST"),
    ("NE", "NORTHEAST"),
    ("NW", "NORTHWEST"),
    ("SE", "SOUTHEAST"),
    ("SW", "SOUTHWEST"),
];

/// Unit designators as the custodian writes them.
pub const UNIT_DESIGNATORS: &[&str] = &["APT", "UNIT", "STE"];

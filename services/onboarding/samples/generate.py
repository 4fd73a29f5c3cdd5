"""Regenerate the sample CSVs (deterministic): real city/state/zip triples from the zipcodes data.

uv run python services/onboarding/samples/generate.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import zipcodes

HERE = Path(__file__).parent
CITIES = [
    ("Austin", "TX"),
    ("Dallas", "TX"),
    ("Houston", "TX"),
    ("San Antonio", "TX"),
    ("Fort Worth", "TX"),
    ("Plano", "TX"),
    ("Phoenix", "AZ"),
    ("Tucson", "AZ"),
    ("Scottsdale", "AZ"),
    ("Mesa", "AZ"),
    ("Denver", "CO"),
    ("Boulder", "CO"),
    ("Colorado Springs", "CO"),
    ("Salt Lake City", "UT"),
    ("Boise", "ID"),
    ("Las Vegas", "NV"),
    ("Reno", "NV"),
    ("Los Angeles", "CA"),
    ("San Diego", "CA"),
    ("San Jose", "CA"),
    ("Sacramento", "CA"),
    ("Fresno", "CA"),
    ("Oakland", "CA"),
    ("Irvine", "CA"),
    ("Portland", "OR"),
    ("Eugene", "OR"),
    ("Seattle", "WA"),
    ("Spokane", "WA"),
    ("Tacoma", "WA"),
    ("Chicago", "IL"),
    ("Naperville", "IL"),
    ("Milwaukee", "WI"),
    ("Madison", "WI"),
    ("Minneapolis", "MN"),
    ("Saint Paul", "MN"),
    ("Des Moines", "IA"),
    ("Omaha", "NE"),
    ("Kansas City", "MO"),
    ("Saint Louis", "MO"),
    ("Indianapolis", "IN"),
    ("Columbus", "OH"),
    ("Cleveland", "OH"),
    ("Cincinnati", "OH"),
    ("Detroit", "MI"),
    ("Grand Rapids", "MI"),
    ("Louisville", "KY"),
    ("Nashville", "TN"),
    ("Memphis", "TN"),
    ("Knoxville", "TN"),
    ("Atlanta", "GA"),
    ("Savannah", "GA"),
    ("Charlotte", "NC"),
    ("Raleigh", "NC"),
    ("Durham", "NC"),
    ("Charleston", "SC"),
    ("Columbia", "SC"),
    ("Jacksonville", "FL"),
    ("Miami", "FL"),
    ("Tampa", "FL"),
    ("Orlando", "FL"),
    ("Tallahassee", "FL"),
    ("Birmingham", "AL"),
    ("New Orleans", "LA"),
    ("Baton Rouge", "LA"),
    ("Oklahoma City", "OK"),
    ("Tulsa", "OK"),
    ("Little Rock", "AR"),
    ("Albuquerque", "NM"),
    ("Richmond", "VA"),
    ("Arlington", "VA"),
    ("Baltimore", "MD"),
    ("Philadelphia", "PA"),
    ("Pittsburgh", "PA"),
    ("Newark", "NJ"),
    ("Jersey City", "NJ"),
    ("Buffalo", "NY"),
    ("Rochester", "NY"),
    ("Albany", "NY"),
    ("Brooklyn", "NY"),
    ("Hartford", "CT"),
    ("Providence", "RI"),
    ("Boston", "MA"),
    ("Cambridge", "MA"),
    ("Worcester", "MA"),
    ("Manchester", "NH"),
    ("Burlington", "VT"),
    ("Portland", "ME"),
    ("Honolulu", "HI"),
    ("Anchorage", "AK"),
    ("Billings", "MT"),
    ("Fargo", "ND"),
    ("Sioux Falls", "SD"),
    ("Cheyenne", "WY"),
    ("Wichita", "KS"),
    ("Jackson", "MS"),
    ("Charleston", "WV"),
    ("Wilmington", "DE"),
    ("Washington", "DC"),
    ("Lexington", "KY"),
    ("Olympia", "WA"),
]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Market St", "Broadway", "Elm St", "Park Blvd", "Lake Rd"]
FIRST = ["Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Drew"]
LAST = ["Nguyen", "Garcia", "Smith", "Patel", "Johnson", "Kim", "Brown", "Lopez", "Davis", "Walker"]
SPECIALTIES = ["HIIT", "Yoga", "Spin", "Pilates", "Boxing", "Strength", "Personal Training", "Swim"]
HOURS = ["Mon-Fri 05:00-22:00; Sat-Sun 07:00-19:00", "Mon-Fri 06:00-21:00; Sat 08:00-18:00; Sun closed", ""]
HEADER = [
    "Location Name",
    "Address",
    "City",
    "State",
    "Zip Code",
    "Phone",
    "Email",
    "Website",
    "Manager Name",
    "Manager Email",
    "Timezone",
    "Capacity Limit",
    "Region",
    "Franchise Code",
    "Opening Date",
    "Specialties",
    "Hours",
    "Closed Dates",
]
REGIONS = {
    "West": "CA OR WA NV AZ UT ID CO NM MT WY AK HI",
    "Central": "TX OK KS NE SD ND MN IA MO AR LA WI IL",
}


def region(state: str) -> str:
    return next((r for r, states in REGIONS.items() if state in states.split()), "East")


def row(rng: random.Random, number: int, city: str, state: str) -> dict[str, str]:
    info = sorted(
        zipcodes.filter_by(city=city, state=state, zip_code_type="STANDARD"), key=lambda z: z["zip_code"]
    )
    z = rng.choice(info[:8])
    area = z["area_codes"][0] if z["area_codes"] else "212"
    first, last = rng.choice(FIRST), rng.choice(LAST)
    code = f"FIT-{number:04d}"
    slug = f"{city.lower().replace(' ', '-')}-{number}"
    return {
        "Location Name": f"FitNation {city} #{number}",
        "Address": f"{rng.randint(100, 9899)} {rng.choice(STREETS)}",
        "City": z["city"].title(),
        "State": state,
        "Zip Code": z["zip_code"],
        "Phone": f"({area}) {rng.randint(200, 989)}-{rng.randint(1000, 9999)}",
        "Email": f"{slug}@fitnation.example.com",
        "Website": f"https://fitnation.example.com/{slug}",
        "Manager Name": f"{first} {last}",
        "Manager Email": f"{first.lower()}.{last.lower()}.{number}@fitnation.example.com",
        "Timezone": z["timezone"] if rng.random() < 0.6 else "",
        "Capacity Limit": str(rng.choice([25, 30, 40, 50, 60, 80])),
        "Region": region(state),
        "Franchise Code": code,
        "Opening Date": f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "Specialties": "; ".join(rng.sample(SPECIALTIES, 2)),
        "Hours": rng.choice(HOURS),
        "Closed Dates": "2027-01-01; 2027-12-25" if rng.random() < 0.5 else "",
    }


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(7)
    rows = [row(rng, i + 1, c, s) for i, (c, s) in enumerate(CITIES)]
    write(HERE / "locations.csv", HEADER, rows[:75])
    existing = [
        {
            **r,
            "GHL Location Id": f"loc{r['Franchise Code'][-4:]}live",
            "Opening Date": f"20{19 + i % 6}-03-01",
        }
        for i, r in enumerate(rows[75:100])
    ]
    write(HERE / "existing_locations.csv", [*HEADER, "GHL Location Id"], existing)
    broken = [dict(r) for r in rows[:75]]
    broken[2]["Email"] = "frontdesk@@fitnation"  # row 4
    broken[5]["Zip Code"] = "9021"  # row 7
    broken[9]["State"] = "ZZ"  # row 11
    broken[12]["Phone"] = "555-1234"  # row 14
    broken[20]["Capacity Limit"] = "-5"  # row 22
    broken[30]["Franchise Code"] = broken[29]["Franchise Code"]  # row 32
    broken[40]["Timezone"] = "Mars/Olympus"  # row 42
    broken[50]["Opening Date"] = "31/31/2027"  # row 52
    broken[60]["Manager Name"] = ""  # row 62
    broken[70]["Hours"] = "Mon-Fri 9am-5pm"  # row 72
    write(HERE / "locations_broken.csv", HEADER, broken)


if __name__ == "__main__":
    main()

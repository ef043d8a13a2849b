"""Analytics: operators' and the platform's daily figures, counted from other contexts' events
(bookings sold and cancelled, battery swaps, faults, reviews), as JSON series or CSV."""

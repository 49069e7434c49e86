"""The secret-scanning engine. Secret values never leave this package."""

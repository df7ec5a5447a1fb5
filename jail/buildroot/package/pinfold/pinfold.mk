################################################################################
#
# pinfold
#
################################################################################

# The sources are the repository this external tree lives in (jail/buildroot):
#   make BR2_EXTERNAL=/path/to/pinfold/jail/buildroot menuconfig
PINFOLD_VERSION = 0.1.0
PINFOLD_SITE = $(BR2_EXTERNAL_PINFOLD_PATH)/../..
PINFOLD_SITE_METHOD = local
# No license chosen yet by the project owner (README, "License").
PINFOLD_LICENSE = TBD

# uthash is header-only and fetched as OpenWrt's feed does (openwrt/Makefile), checked
# against pinfold.hash.
PINFOLD_UTHASH_VERSION = 2.3.0
PINFOLD_EXTRA_DOWNLOADS = \
	https://raw.githubusercontent.com/troydhanson/uthash/v$(PINFOLD_UTHASH_VERSION)/src/uthash.h

define PINFOLD_COPY_UTHASH
	$(INSTALL) -D -m 0644 $(PINFOLD_DL_DIR)/uthash.h $(@D)/uthash/uthash.h
endef
PINFOLD_POST_RSYNC_HOOKS += PINFOLD_COPY_UTHASH

PINFOLD_CONF_OPTS = \
	-DPINFOLD_TESTS=OFF \
	-DPINFOLD_FUZZ=OFF \
	-DPINFOLD_WERROR=OFF \
	-DUTHASH_INCLUDE_DIR=$(@D)/uthash \
	-DPINFOLD_CONTROL=$(if $(BR2_PACKAGE_PINFOLD_CONTROL),ON,OFF) \
	-DPINFOLD_BASICAUTH=$(if $(BR2_PACKAGE_PINFOLD_BASICAUTH),ON,OFF)

# The TLS backend: whichever library the configuration has (core/tls.h).
ifeq ($(BR2_PACKAGE_MBEDTLS),y)
PINFOLD_DEPENDENCIES += mbedtls
PINFOLD_CONF_OPTS += -DPINFOLD_TLS=mbedtls
else ifeq ($(BR2_PACKAGE_OPENSSL),y)
PINFOLD_DEPENDENCIES += openssl
PINFOLD_CONF_OPTS += -DPINFOLD_TLS=openssl
else
PINFOLD_CONF_OPTS += -DPINFOLD_TLS=none
endif

# BasicAuth checks passwords with crypt(3): the C library's (musl, glibc) or libxcrypt.
ifeq ($(BR2_PACKAGE_LIBXCRYPT),y)
PINFOLD_DEPENDENCIES += libxcrypt
endif

# pinfold drops to this user and group after binding (its RootJail is root's).
define PINFOLD_USERS
	pinfold -1 pinfold -1 * - - - pinfold reverse proxy
endef

# The same init script and jail builder as any busybox system (jail/).
define PINFOLD_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/jail/S50pinfold $(TARGET_DIR)/etc/init.d/S50pinfold
	$(INSTALL) -D -m 0755 $(@D)/jail/mkjail.sh $(TARGET_DIR)/usr/share/pinfold/mkjail.sh
endef

define PINFOLD_INSTALL_TARGET_CONFIG
	$(INSTALL) -d -m 0755 $(TARGET_DIR)/etc/pinfold
	$(INSTALL) -D -m 0644 $(@D)/configs/demo.cfg $(TARGET_DIR)/etc/pinfold/pinfold.cfg.sample
endef
PINFOLD_POST_INSTALL_TARGET_HOOKS += PINFOLD_INSTALL_TARGET_CONFIG

$(eval $(cmake-package))

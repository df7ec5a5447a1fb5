include $(sort $(wildcard $(BR2_EXTERNAL_PINFOLD_PATH)/package/*/*.mk))
